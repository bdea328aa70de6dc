import JSON

extension StoreAPI {
    /// Safely changes some fields of an order: fetch it, apply `changes` with `OrderMerge`, PUT the
    /// complete order back (OrderDesk has no PATCH), and return what OrderDesk stored.
    ///
    /// - If `expectedDateUpdated` is given and the fetched order's `date_updated` differs, throws
    ///   `conflict` (with `currentDateUpdated`) and sends nothing.
    /// - If the PUT answers 409, the order is fetched and merged again, after a backoff wait, up to
    ///   `configuration.conflictRetry.maxRetries` more times; then `conflict` is thrown.
    /// - Invalid changes throw `validation` before anything is sent.
    ///
    /// Concurrent updates of one order from several replicas must additionally be serialized by the
    /// caller (a lock or lease per order): OrderDesk itself offers no compare-and-set. `beforeWrite`
    /// runs right before each PUT; the caller confirms there that it still holds its lock (an error
    /// from it stops the update before anything is written).
    public func updateOrder(
        _ id: String, changes: JSONValue, expectedDateUpdated: String? = nil,
        beforeWrite: @Sendable () async throws -> Void = {}
    ) async throws -> Order {
        try Self.requireID(id, "The order id")
        let policy = client.configuration.conflictRetry
        var retry = 0
        while true {
            let current = try await getOrder(id)
            if let expectedDateUpdated, current.dateUpdated != expectedDateUpdated {
                throw OrderDeskError(
                    .conflict,
                    "Order \(id) was changed since \(expectedDateUpdated) (it is now at \(current.dateUpdated ?? "unknown")); "
                        + "fetch it again, check the change still applies, and retry with the new date_updated.",
                    currentDateUpdated: current.dateUpdated)
            }
            let merged = try OrderMerge.merge(changes, into: current)
            try await beforeWrite()
            do {
                return try await replaceOrder(merged)
            } catch let error as OrderDeskError where error.code == .conflict {
                guard retry < policy.maxRetries else {
                    throw OrderDeskError(
                        .conflict,
                        "Order \(id) kept changing while it was being updated (HTTP 409 on \(retry + 1) attempts); "
                            + "try again later.", httpStatus: error.httpStatus)
                }
                try await Task.sleep(for: policy.delay(forRetry: retry))
                retry += 1
            }
        }
    }
}
