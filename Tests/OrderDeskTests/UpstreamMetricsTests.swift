import Testing

@testable import OrderDesk

/// The `operation` label of upstream metrics must not grow with ids: every id becomes `{id}`.
@Suite struct UpstreamMetricsTests {
    @Test(arguments: [
        (["test"], "GET /test"),
        (["orders"], "GET /orders"),
        (["orders", "12345"], "GET /orders/{id}"),
        (["orders", "12345", "shipments"], "GET /orders/{id}/shipments"),
        (["orders", "98", "order-items", "7"], "GET /orders/{id}/order-items/{id}"),
        (["inventory-items", "a b/c"], "GET /inventory-items/{id}"),
    ])
    func operationReplacesIDs(path: [String], expected: String) {
        let request = UpstreamRequest(method: .get, path: path, subject: "x")
        #expect(request.operation == expected)
    }

    @Test func operationNamesTheMethod() {
        let request = UpstreamRequest(method: .put, path: ["orders", "1"], subject: "order 1")
        #expect(request.operation == "PUT /orders/{id}")
    }
}
