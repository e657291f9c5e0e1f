using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Kosmo.Idp.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AddressThrottle : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "address_post_counts",
                columns: table => new
                {
                    address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    window_minute = table.Column<long>(type: "INTEGER", nullable: false),
                    posts = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_address_post_counts", x => x.address);
                });

            migrationBuilder.CreateIndex(
                name: "ix_address_post_counts_window_minute",
                table: "address_post_counts",
                column: "window_minute");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "address_post_counts");
        }
    }
}
