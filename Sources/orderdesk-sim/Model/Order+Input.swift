import JSON

extension Order {
    /// Replaces every writable field with the body's value; a field the body leaves out becomes blank.
    /// That is OrderDesk's PUT contract ("any parts left out will be updated as blank") and also the
    /// starting point of a create. Items, shipments, history, `id`, `folder_id` and `date_added` are
    /// not touched here.
    mutating func replaceWritableFields(from body: [String: JSONValue], now: String) throws {
        for field in Self.writableText { self[keyPath: field.path] = body.text(field.key) }
        for field in Self.writableTotals { self[keyPath: field.path] = try body.number(field.key) }
        processorBalance = try body.optionalNumber("processor_balance")

        // Input may carry the last four digits as `cc_number`; output only ever has the masked form.
        let digits = body.text("cc_number").filter(\.isNumber)
        ccNumberMasked = digits.isEmpty ? body.text("cc_number_masked") : "xxxxxxxxxxxx" + String(digits.suffix(4))

        shipping = try Address(from: body, key: "shipping")
        customer = try Address(from: body, key: "customer")
        returnAddress = try ReturnAddress(from: body)
        checkoutData = try body.map("checkout_data")
        orderMetadata = try body.map("order_metadata")
        discounts = try body.objects("discount_list").map(Discount.init(from:))
        notes = try body.objects("order_notes").map { try OrderNote(from: $0, now: now) }

        let paymentStatuses = [
            "Approved", "Authorized", "Captured", "Fully Refunded", "Partially Refunded", "Pending", "Rejected", "Voided",
        ]
        if !paymentStatus.isEmpty {
            guard let canonical = paymentStatuses.first(where: { $0.caseInsensitiveCompare(paymentStatus) == .orderedSame })
            else {
                throw SimulatorError.badRequest(
                    "payment_status must be one of \(paymentStatuses.joined(separator: ", ")).")
            }
            paymentStatus = canonical
        }
    }

    /// Reconciles `order_items` the way OrderDesk's PUT does: an entry whose `id` names an item of
    /// this order replaces that item, any other entry is added with a new id, and stored items the
    /// list does not mention are removed.
    mutating func reconcileItems(with entries: [[String: JSONValue]], nextItemID: inout Int64) throws {
        var remaining = Dictionary(uniqueKeysWithValues: items.map { ($0.id, $0) })
        var result: [OrderItem] = []
        for entry in entries {
            if let id = entry["id"]?.lenientInt, remaining.removeValue(forKey: id) != nil {
                result.append(try OrderItem(id: id, from: entry))
            } else {
                result.append(try OrderItem(id: nextItemID, from: entry))
                nextItemID += 1
            }
        }
        items = result
    }
}
