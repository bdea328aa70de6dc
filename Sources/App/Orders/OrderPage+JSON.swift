import JSON
import OrderDesk

extension OrderPage {
    /// The shape `orders_list` returns and the cache stores: the orders plus pagination metadata.
    /// `next_offset` is where the next page starts, or null on the last page.
    var listJSON: JSONValue {
        [
            "orders": .array(orders.map(\.json)),
            "total_records": .int(Int64(totalRecords)),
            "records_returned": .int(Int64(recordsReturned)),
            "offset": .int(Int64(offset)),
            "limit": .int(Int64(limit)),
            "has_more": .bool(hasMore),
            "next_offset": hasMore ? .int(Int64(offset + recordsReturned)) : .null,
        ]
    }
}
