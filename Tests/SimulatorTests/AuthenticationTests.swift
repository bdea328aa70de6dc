import JSON
import TestSupport
import Testing

@Suite("Authentication")
struct AuthenticationTests {
    @Test func wrongApiKeyIsRejectedWith401AndAnErrorBody() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        let reply = try await sim.request("GET", "/test", apiKey: "not-the-key")

        #expect(reply.status == 401)
        #expect(reply.json?["status"] == "error")
        #expect(reply.json?["message"]?.stringValue?.isEmpty == false)
    }

    @Test func missingCredentialHeadersAreRejectedWith401() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }

        let reply = try await sim.request("GET", "/orders", useCredentials: false)

        #expect(reply.status == 401)
        #expect(reply.json?["status"] == "error")
    }

    @Test func headerNamesAreCaseInsensitive() async throws {
        let sim = try await SimulatorProcess.launch()
        defer { sim.stop() }
        let store = SimulatorProcess.Store.standard

        let reply = try await sim.request(
            "GET", "/test", useCredentials: false,
            headers: ["orderdesk-store-id": store.id, "Orderdesk-Api-Key": store.apiKey])

        #expect(reply.status == 200)
        #expect(reply.json?["message"] == "Connection Successful")
    }

    @Test func eachStoreSeesOnlyItsOwnOrders() async throws {
        let sim = try await SimulatorProcess.launch(stores: [.standard, .second])
        defer { sim.stop() }

        let (_, firstStoreOrders) = try await sim.listOrders("limit=1", store: .standard)
        let id = try #require(firstStoreOrders.first?["id"]?.stringValue)
        let fromOtherStore = try await sim.request("GET", "/orders/\(id)", store: .second)
        let otherStoreKeyForFirstStore = try await sim.request(
            "GET", "/test", store: .standard, apiKey: SimulatorProcess.Store.second.apiKey)

        #expect(fromOtherStore.status == 404)
        #expect(otherStoreKeyForFirstStore.status == 401)
    }
}
