import ArgumentParser

/// `orderdesk-mcp`: the MCP server and its operator commands.
@main
struct OrderDeskMCP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orderdesk-mcp",
        abstract: "Multi-tenant MCP server for OrderDesk.",
        version: "0.1.0",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, TenantsCommand.self, KeysCommand.self, WebhooksCommand.self,
            MailCommand.self, GrantsCommand.self, AuditCommand.self,
        ])
}
