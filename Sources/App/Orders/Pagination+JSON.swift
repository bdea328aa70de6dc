import JSON

/// The paging members every list result carries (`orders_list`, `inventory_items_list`):
/// `total_records`, `records_returned`, `offset`, `limit`, `has_more` and `next_offset` (where the
/// next page starts, or null on the last page), beside the page's items under `itemsKey`.
enum Pagination {
    static func json(
        itemsKey: String, items: [JSONValue], totalRecords: Int, recordsReturned: Int, offset: Int, limit: Int
    ) -> JSONValue {
        let hasMore = recordsReturned > 0 && offset + recordsReturned < totalRecords
        return [
            itemsKey: .array(items),
            "total_records": .int(Int64(totalRecords)),
            "records_returned": .int(Int64(recordsReturned)),
            "offset": .int(Int64(offset)),
            "limit": .int(Int64(limit)),
            "has_more": .bool(hasMore),
            "next_offset": hasMore ? .int(Int64(offset + recordsReturned)) : .null,
        ]
    }
}
