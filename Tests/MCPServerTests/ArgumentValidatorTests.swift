import JSON
import Testing

@testable import MCPServer

@Suite struct ArgumentValidatorTests {
    let schema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["store"],
        "properties": [
            "store": ["type": "string", "minLength": 1, "maxLength": 5],
            "limit": ["type": "integer", "minimum": 1, "maximum": 500],
            "order": ["type": "string", "enum": ["asc", "desc"]],
        ],
    ]

    func message(_ arguments: JSONValue) -> String? {
        do {
            try ArgumentValidator.validate(arguments, against: schema)
            return nil
        } catch {
            #expect(error.code == .validationError)
            return error.message
        }
    }

    @Test func validArgumentsPass() {
        #expect(message(["store": "main", "limit": 50, "order": "asc"]) == nil)
    }

    @Test func eachViolationNamesTheArgumentAndTheExpectation() {
        #expect(message([:]) == "`store` is required")
        #expect(message(["store": "a", "extra": 1])?.contains("unknown argument `extra`") == true)
        #expect(message(["store": 5]) == "`store` must be a string")
        #expect(message(["store": ""]) == "`store` must be at least 1 characters")
        #expect(message(["store": "toolong"]) == "`store` must be at most 5 characters")
        #expect(message(["store": "a", "limit": 0]) == "`limit` must be at least 1")
        #expect(message(["store": "a", "limit": 501]) == "`limit` must be at most 500")
        #expect(message(["store": "a", "limit": "5"]) == "`limit` must be an integer")
        #expect(message(["store": "a", "order": "up"]) == "`order` must be one of: asc, desc")
        #expect(message(["x"]) == "`arguments` must be an object")
        #expect(message(["store": "a\u{0}b"]) == "`store` must not contain NUL characters (U+0000)")
        #expect(message(["store": "a", "x\u{0}": 1])?.contains("NUL") == true)
        // Also where the schema says nothing about the field (nested in an order).
        #expect(
            message(["store": "a", "limit": 1, "order": "asc", "extra": [["n": "x\u{0}"]]])
                == "`extra[0].n` must not contain NUL characters (U+0000)")
    }

    @Test func everyPublishedToolSchemaIsStrict() {
        for tool in ToolRegistry.standard.tools {
            #expect(tool.inputSchema["type"] == "object", "\(tool.name)")
            #expect(tool.inputSchema["additionalProperties"] == false, "\(tool.name)")
            #expect(tool.outputSchema["type"] == "object", "\(tool.name)")
            #expect(!tool.title.isEmpty && !tool.description.isEmpty, "\(tool.name)")
        }
    }

    @Test func dottedAliasesResolveToTheSameTool() {
        let registry = ToolRegistry.standard
        #expect(registry.tool(named: "stores.list")?.name == "stores_list")
        #expect(registry.tool(named: "tenant.use_master_key")?.name == "tenant_use_master_key")
        #expect(registry.tool(named: "stores_nope") == nil)
    }
}
