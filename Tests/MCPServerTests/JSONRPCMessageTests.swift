import Foundation
import JSON
import Testing

@testable import MCPServer

@Suite struct JSONRPCMessageTests {
    func parse(_ text: String) -> Result<JSONRPCMessage, MCPError> {
        do { return .success(try JSONRPCMessage.parse(Data(text.utf8))) } catch { return .failure(error) }
    }

    func errorCode(_ text: String) -> Int? {
        if case .failure(let error) = parse(text) { return error.jsonRPC.code }
        return nil
    }

    @Test func requestNotificationAndResponseAreToldApart() {
        guard
            case .success(.request(let id, let method, let params)) = parse(
                #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x"}}"#)
        else { Issue.record("not a request"); return }
        #expect(id == 7)
        #expect(method == "tools/call")
        #expect(params["name"] == "x")
        guard
            case .success(.notification("notifications/initialized")) = parse(
                #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        else { Issue.record("not a notification"); return }
        guard case .success(.response) = parse(#"{"jsonrpc":"2.0","id":"a","result":{}}"#) else {
            Issue.record("not a response"); return
        }
    }

    @Test func malformedJSONIsAParseError() {
        #expect(errorCode("{\"jsonrpc\":") == -32700)
        #expect(errorCode("\u{FF}") == -32700)
    }

    @Test func envelopesThatAreNotJSONRPCAreInvalidRequests() {
        #expect(errorCode("[]") == -32600)  // batches removed in 2025-06-18
        #expect(errorCode("42") == -32600)
        #expect(errorCode(#"{"id":1,"method":"ping"}"#) == -32600)  // no jsonrpc
        #expect(errorCode(#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#) == -32600)
        #expect(errorCode(#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#) == -32600)
        #expect(errorCode(#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#) == -32600)
        #expect(errorCode(#"{"jsonrpc":"2.0","id":1,"method":""}"#) == -32600)
        #expect(errorCode(#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#) == -32600)
    }

    @Test func invalidRequestKeepsTheIdWhenItCouldBeRead() {
        if case .failure(let error) = parse(#"{"jsonrpc":"2.0","id":"abc","method":5}"#) {
            #expect(error.id == "abc")
        } else {
            Issue.record("expected an error")
        }
    }

    @Test func deeplyNestedBodiesAreRefusedBeforeParsing() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(errorCode(#"{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":\#(deep)}}"#) == -32600)
        #expect(JSONNesting.depth(of: Data(#"{"a":"[[[[","b":[{}]}"#.utf8)) == 3)
    }

    @Test func protocolVersionNegotiationFallsBackToLatest() {
        #expect(ProtocolVersion.negotiate("2025-06-18") == "2025-06-18")
        #expect(ProtocolVersion.negotiate("1999-01-01") == ProtocolVersion.latest)
        #expect(ProtocolVersion.negotiate(nil) == ProtocolVersion.latest)
    }

    @Test func bearerTokensAreParsedCaseInsensitively() {
        #expect(BearerToken.parse("Bearer odmk_abc") == "odmk_abc")
        #expect(BearerToken.parse("bearer   odmk_abc ") == "odmk_abc")
        #expect(BearerToken.parse("Basic dXNlcjpwYXNz") == nil)
        #expect(BearerToken.parse("Bearer") == nil)
    }
}
