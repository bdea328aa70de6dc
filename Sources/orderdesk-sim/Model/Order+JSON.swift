import JSON

extension Order {
    /// The order as OrderDesk returns it, PHP-isms included: `id` and `email_count` as strings,
    /// `folder_id` as an int, `[]` for empty maps, computed totals as numbers.
    ///
    /// - Parameters:
    ///   - emailCount: how many orders of the store share this order's email (read-only field).
    ///   - includeHistory: whether to add `order_history` (only on request, as OrderDesk does).
    func json(emailCount: Int, includeHistory: Bool) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(String(id)),
            "quantity_total": .int(quantityTotal),
            "weight_total": .double(weightTotal),
            "product_total": .money(productTotal),
            "discount_total": .money(discountTotal),
            "order_total": .money(orderTotal),
            "processor_balance": .money(effectiveProcessorBalance),
            "cc_number_masked": .string(ccNumberMasked),
            "email_count": .string(String(emailCount)),
            "folder_id": .int(folderID),
            "date_added": .string(dateAdded),
            "date_updated": .string(dateUpdated),
            "shipping": shipping.json(includeExtraLines: true),
            "customer": customer.json(includeExtraLines: false),
            "return_address": returnAddress.json(),
            "checkout_data": .phpMap(checkoutData),
            "order_metadata": .phpMap(orderMetadata),
            "discount_list": .array(discounts.map { $0.json() }),
            "order_notes": .array(notes.map { $0.json() }),
            "order_items": .array(items.map { $0.json() }),
            "order_shipments": .array(shipments.map { $0.json() }),
        ]
        for field in Self.writableText { object[field.key] = .string(self[keyPath: field.path]) }
        for field in Self.writableTotals { object[field.key] = .money(self[keyPath: field.path]) }
        if includeHistory { object["order_history"] = .array(history.map { $0.json() }) }
        return .object(object)
    }
}
