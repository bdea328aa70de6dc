import App
import Foundation
import Hummingbird
import JSON
import Postgres

/// `/healthz`: the process is up. `/readyz`: the database answers and has this build's schema.
struct HealthEndpoints: Sendable {
    let database: Database

    func health(_ request: Request, context: MCPRequestContext) -> Response {
        Response.json(.ok, ["status": "ok"], correlationID: context.correlationID)
    }

    func ready(_ request: Request, context: MCPRequestContext) async -> Response {
        do {
            let applied = try await database.withUnscopedTransaction { tx in
                try tx.query("SELECT max(version) AS version FROM public.schema_migrations")[0].decode(String?.self, "version")
            }
            guard let applied, applied >= SchemaVersion.required else {
                return Response.json(
                    .serviceUnavailable,
                    [
                        "status": "not_ready",
                        "reason": .string(
                            "database schema is older than \(SchemaVersion.required); run `orderdesk-mcp migrate up`"),
                    ], correlationID: context.correlationID)
            }
            return Response.json(.ok, ["status": "ready", "schema": .string(applied)], correlationID: context.correlationID)
        } catch {
            return Response.json(
                .serviceUnavailable, ["status": "not_ready", "reason": "database unavailable"],
                correlationID: context.correlationID)
        }
    }
}
