import JSON
import OrderDesk

extension OrderPage {
    /// The shape `orders_list` returns and the cache stores: the orders plus pagination metadata.
    /// `next_offset` is where the next page starts, or null on the last page.
    var listJSON: JSONValue {
        Pagination.json(
            itemsKey: "orders", items: orders.map(\.json), totalRecords: totalRecords, recordsReturned: recordsReturned,
            offset: offset, limit: limit)
    }
}
