import Foundation
import JSON
import Testing

@testable import App

@Suite struct ClientMetadataDocumentTests {
    private let url = "https://client.example/oauth/client.json"

    private func document(_ change: (inout [String: JSONValue]) -> Void = { _ in }) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "client_id": .string(url),
            "client_name": "Example MCP Client",
            "client_uri": "https://client.example",
            "logo_uri": "https://client.example/logo.png",
            "redirect_uris": ["http://127.0.0.1:3000/callback", "https://client.example/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        ]
        change(&object)
        return object
    }

    private func parse(_ object: [String: JSONValue]) throws(ClientMetadataError) -> ClientMetadataDocument {
        try ClientMetadataDocument(parsing: JSONValue.object(object).encoded(), fetchedFrom: url)
    }

    private func refusal(_ change: (inout [String: JSONValue]) -> Void) -> ClientMetadataError? {
        do {
            _ = try parse(document(change))
            return nil
        } catch {
            return error
        }
    }

    @Test func theSpecificationsExampleIsAccepted() throws {
        let parsed = try parse(document())
        #expect(parsed.clientID == url)
        #expect(parsed.clientName == "Example MCP Client")
        #expect(parsed.redirectURIs == ["http://127.0.0.1:3000/callback", "https://client.example/callback"])
    }

    @Test func onlyTheRequiredMembersAreNeeded() throws {
        let minimal = try parse(["client_id": .string(url), "client_name": "C", "redirect_uris": ["https://c.example/cb"]])
        #expect(minimal.redirectURIs == ["https://c.example/cb"])
    }

    @Test func theClientIDMustBeTheFetchedURLExactly() {
        for other in [url + "/", url.uppercased(), "https://client.example/oauth/other.json", url + "?x=1"] {
            #expect(refusal { $0["client_id"] = .string(other) }?.code == .clientIDMismatch)
        }
        #expect(refusal { $0["client_id"] = nil } == .invalid("client_id"))
        #expect(refusal { $0["client_id"] = 5 } == .invalid("client_id"))
    }

    @Test func theClientNameMustBeShortPrintableText() {
        #expect(refusal { $0["client_name"] = nil } == .invalid("client_name"))
        #expect(refusal { $0["client_name"] = ["a"] } == .invalid("client_name"))
        #expect(refusal { $0["client_name"] = "   " } == .invalid("client_name"))
        #expect(refusal { $0["client_name"] = .string(String(repeating: "n", count: 201)) } == .invalid("client_name"))
        #expect(refusal { $0["client_name"] = .string(String(repeating: "n", count: 200)) } == nil)
        for bad in [
            "Tab\tName", "New\nline", "Bell\u{7}", "Del\u{7F}", "Line\u{2028}sep", "Right\u{202E}moc.evil", "Iso\u{2067}late",
        ] {
            #expect(refusal { $0["client_name"] = .string(bad) } == .invalid("client_name"), "\(bad.debugDescription)")
        }
        #expect(refusal { $0["client_name"] = "Café Client 🤖 — Ünïcode" } == nil)
    }

    @Test func redirectURIsMustBeANonEmptyListOfAbsoluteSafeURIs() {
        #expect(refusal { $0["redirect_uris"] = nil } == .invalid("redirect_uris"))
        #expect(refusal { $0["redirect_uris"] = [] } == .invalid("redirect_uris"))
        #expect(refusal { $0["redirect_uris"] = "https://c.example/cb" } == .invalid("redirect_uris"))
        #expect(
            refusal { $0["redirect_uris"] = .array(Array(repeating: "https://c.example/cb", count: 21)) }
                == .invalid("redirect_uris"))
        let bad = [
            "/callback", "callback", "http://client.example/cb", "https://c.example/cb#frag", "https://c.example/cb#",
            "javascript:alert(1)", "com.example.app:/cb", "https://user:pw@c.example/cb", "https:///cb",
            "https://c.example/a b", "http://127.0.0.2.evil.example/cb",
        ]
        for uri in bad {
            #expect(refusal { $0["redirect_uris"] = [.string(uri)] } == .invalid("redirect_uris"), "\(uri)")
        }
        #expect(refusal { $0["redirect_uris"] = ["https://c.example/cb", 7] } == .invalid("redirect_uris"))
        let good = [
            "http://127.0.0.1:33333/callback", "http://localhost:8080/cb", "http://[::1]:9/cb", "https://c.example/cb?x=1",
        ]
        for uri in good {
            #expect(refusal { $0["redirect_uris"] = [.string(uri)] } == nil, "\(uri)")
        }
    }

    @Test func onlyPublicClientsWithoutSecretsAreAccepted() {
        #expect(refusal { $0["token_endpoint_auth_method"] = nil } == nil)
        for method: JSONValue in ["client_secret_basic", "client_secret_post", "private_key_jwt", 1, .null] {
            #expect(refusal { $0["token_endpoint_auth_method"] = method } == .invalid("token_endpoint_auth_method"))
        }
        #expect(refusal { $0["client_secret"] = "s3cret" } == .invalid("client_secret"))
        #expect(refusal { $0["client_secret_expires_at"] = 0 } == .invalid("client_secret_expires_at"))
    }

    @Test func grantAndResponseTypesMustAllowTheCodeFlowWhenGiven() {
        #expect(refusal { $0["grant_types"] = ["client_credentials"] } == .invalid("grant_types"))
        #expect(refusal { $0["grant_types"] = "authorization_code" } == .invalid("grant_types"))
        #expect(refusal { $0["grant_types"] = ["authorization_code", 3] } == .invalid("grant_types"))
        #expect(refusal { $0["response_types"] = ["token"] } == .invalid("response_types"))
        #expect(
            refusal {
                $0["grant_types"] = nil; $0["response_types"] = nil
            } == nil)
    }

    @Test func aBodyThatIsNotAJSONObjectIsAnInvalidDocument() {
        for body in ["", "[]", "\"x\"", "{\"client_id\":", "null", "\u{FEFF}garbage"] {
            #expect(
                (try? ClientMetadataDocument(parsing: Data(body.utf8), fetchedFrom: url)) == nil,
                "\(body.debugDescription)")
            let error = caughtSync { () throws(ClientMetadataError) in
                try ClientMetadataDocument(parsing: Data(body.utf8), fetchedFrom: url)
            }
            #expect(error == .invalid("document"))
        }
    }

    @Test func errorDescriptionsNeverEchoTheDocument() {
        for code in ClientMetadataError.Code.allCases {
            let text = ClientMetadataError(code, field: "client_name", status: 418).description
            #expect(!text.isEmpty)
            #expect(!text.contains("Example MCP Client"))
        }
    }

    private func caughtSync(_ body: () throws(ClientMetadataError) -> ClientMetadataDocument) -> ClientMetadataError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }
}
