using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kosmo.Idp.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RecoveryCodesAsked : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "recovery_codes_asked_at",
                table: "members",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "recovery_codes_asked_by",
                table: "members",
                type: "TEXT",
                maxLength: 64,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "recovery_codes_asked_at",
                table: "members");

            migrationBuilder.DropColumn(
                name: "recovery_codes_asked_by",
                table: "members");
        }
    }
}
