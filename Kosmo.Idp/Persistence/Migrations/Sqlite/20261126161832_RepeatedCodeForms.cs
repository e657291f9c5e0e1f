using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kosmo.Idp.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RepeatedCodeForms : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "code_session_at",
                table: "members",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "code_session_id",
                table: "members",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "code_session_method",
                table: "members",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "code_session_version",
                table: "members",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "code_session_at",
                table: "members");

            migrationBuilder.DropColumn(
                name: "code_session_id",
                table: "members");

            migrationBuilder.DropColumn(
                name: "code_session_method",
                table: "members");

            migrationBuilder.DropColumn(
                name: "code_session_version",
                table: "members");
        }
    }
}
