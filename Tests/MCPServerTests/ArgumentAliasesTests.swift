import JSON
import Testing

@testable import MCPServer

/// The original product's argument names (`identifier`, `store_identifier`, `store_name`,
/// `order_data`) keep working beside the current ones.
@Suite struct ArgumentAliasesTests {
    static func tool(_ name: String) throws -> any Tool {
        try #require(ToolRegistry.standard.tool(named: name))
    }

    @Test func everyToolGetsTheSeedNamesOfItsArguments() throws {
        #expect(ArgumentAliases.of(try Self.tool("stores_use_store")) == ["identifier": "store"])
        #expect(ArgumentAliases.of(try Self.tool("stores_resolve")) == ["identifier": "store"])
        #expect(ArgumentAliases.of(try Self.tool("stores_delete")) == ["store_identifier": "store"])
        #expect(ArgumentAliases.of(try Self.tool("orders_get")) == ["store_identifier": "store"])
        #expect(ArgumentAliases.of(try Self.tool("stores_register")) == ["store_name": "name"])
        #expect(ArgumentAliases.of(try Self.tool("orders_create")) == ["store_identifier": "store", "order_data": "order"])
        #expect(ArgumentAliases.of(try Self.tool("stores_list")).isEmpty)
    }

    @Test func anAliasBecomesItsArgumentAndAConflictIsAValidationError() throws {
        let aliases = ["store_identifier": "store", "order_data": "order"]
        #expect(
            try ArgumentAliases.normalize(["store_identifier": "Main", "order_id": "1"], aliases: aliases)
                == ["store": "Main", "order_id": "1"])
        #expect(
            try ArgumentAliases.normalize(["store_identifier": "Main", "store": "Main"], aliases: aliases) == ["store": "Main"])
        #expect(try ArgumentAliases.normalize(["store": "Main"], aliases: aliases) == ["store": "Main"])
        #expect(try ArgumentAliases.normalize("not an object", aliases: aliases) == "not an object")
        #expect(throws: MCPError.self) {
            try ArgumentAliases.normalize(["store_identifier": "Main", "store": "Outlet"], aliases: aliases)
        }
        let clash = #expect(throws: MCPError.self) {
            try ArgumentAliases.normalize(["order_data": [:], "order": ["a": 1]], aliases: aliases)
        }
        #expect(clash?.code == .validationError)
    }

    @Test func theListedSchemaShowsTheAliasDeprecatedBesideTheCurrentName() throws {
        let tool = try Self.tool("stores_use_store")
        let listed = ArgumentAliases.listedSchema(tool.inputSchema, aliases: ArgumentAliases.of(tool))
        #expect(listed["properties"]?["identifier"]?["deprecated"] == true)
        #expect(listed["properties"]?["identifier"]?["type"] == tool.inputSchema["properties"]?["store"]?["type"])
        #expect(listed["required"] == ["store"])
        #expect(listed["properties"]?["store"] == tool.inputSchema["properties"]?["store"])
        #expect(listed["additionalProperties"] == false)
        // A tool without aliases is listed exactly as declared.
        let list = try Self.tool("stores_list")
        #expect(ArgumentAliases.listedSchema(list.inputSchema, aliases: ArgumentAliases.of(list)) == list.inputSchema)
    }
}
