using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kosmo.Idp.Persistence.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class SignInTimes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_sign_in_at",
                table: "members",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "previous_sign_in_at",
                table: "members",
                type: "timestamp with time zone",
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
