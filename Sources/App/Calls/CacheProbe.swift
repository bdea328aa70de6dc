/// The cache entry a tool call reads first, named before the call runs, so that the call's opening
/// statement (`CallSnapshots.open`) reads it together with the session and the stores.
public struct CacheProbe: Sendable, Equatable {
    let scope: OrderCache.Scope
    let key: String

    /// `orders_get`'s entry for one order (with or without its history), as `OrderService.get` reads it.
    public static func order(_ orderID: String, includeHistory: Bool) -> CacheProbe {
        CacheProbe(
            scope: .order,
            key: includeHistory ? OrderCache.orderWithHistoryKey(orderID) : OrderCache.orderKey(orderID))
    }
}
