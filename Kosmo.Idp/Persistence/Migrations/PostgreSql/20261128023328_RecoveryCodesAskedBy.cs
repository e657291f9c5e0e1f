using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kosmo.Idp.Persistence.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class RecoveryCodesAskedBy : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "recovery_codes_asked_by",
                table: "members",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "recovery_codes_asked_by",
                table: "members");
        }
    }
}
