import App
import Foundation
import Hummingbird
import JSON
import NIOCore
import Postgres

/// `/healthz`: the process is up. `/readyz`: the database answers and has this build's schema.
struct HealthEndpoints: Sendable {
    let database: Database

    func health(_ request: Request, context: MCPRequestContext) -> Response {
        Self.json(.ok, ["status": "ok"])
    }

    func ready(_ request: Request, context: MCPRequestContext) async -> Response {
        do {
            let applied = try await database.withUnscopedTransaction { tx in
                try tx.query("SELECT max(version) AS version FROM public.schema_migrations")[0].decode(String?.self, "version")
            }
            guard let applied, applied >= SchemaVersion.required else {
                return Self.json(
                    .serviceUnavailable,
                    [
                        "status": "not_ready",
                        "reason": .string(
                            "database schema is older than \(SchemaVersion.required); run `orderdesk-mcp migrate up`"),
                    ])
            }
            return Self.json(.ok, ["status": "ready", "schema": .string(applied)])
        } catch {
            return Self.json(.serviceUnavailable, ["status": "not_ready", "reason": "database unavailable"])
        }
    }

    static func json(_ status: HTTPResponse.Status, _ body: JSONValue) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store", .requestID: UUID().uuidString.lowercased()],
            body: .init(byteBuffer: ByteBuffer(data: body.encoded())))
    }
}
