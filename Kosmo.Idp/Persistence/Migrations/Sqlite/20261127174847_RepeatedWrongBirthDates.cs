using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kosmo.Idp.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RepeatedWrongBirthDates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "wrong_birth_date_stamp",
                table: "members",
                type: "TEXT",
                maxLength: 64,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "wrong_birth_date_stamp",
                table: "members");
        }
    }
}
