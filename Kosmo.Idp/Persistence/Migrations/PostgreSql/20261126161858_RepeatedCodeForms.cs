using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kosmo.Idp.Persistence.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class RepeatedCodeForms : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "code_session_at",
                table: "members",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "code_session_id",
                table: "members",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "code_session_method",
                table: "members",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "code_session_version",
                table: "members",
                type: "integer",
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
