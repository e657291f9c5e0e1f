using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kosmo.Idp.Persistence.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class PendingNotices : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "pending_notices",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    member_id = table.Column<Guid>(type: "uuid", nullable: false),
                    to = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    notice = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    happened_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_failure = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pending_notices", x => x.id);
                    table.ForeignKey(
                        name: "fk_pending_notices_members_member_id",
                        column: x => x.member_id,
                        principalTable: "members",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_pending_notices_member_id",
                table: "pending_notices",
                column: "member_id");

            migrationBuilder.CreateIndex(
                name: "ix_pending_notices_next_attempt_at",
                table: "pending_notices",
                column: "next_attempt_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "pending_notices");
        }
    }
}
