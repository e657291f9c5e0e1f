using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kosmo.Idp.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SignInTimes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "last_sign_in_at",
                table: "members",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "previous_sign_in_at",
                table: "members",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "last_sign_in_at",
                table: "members");

            migrationBuilder.DropColumn(
                name: "previous_sign_in_at",
                table: "members");
        }
    }
}
