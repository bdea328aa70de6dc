import JSON

/// A shipment of an order (`order_shipments[]`). OrderDesk returns every shipment field as a string
/// (`"weight": "3.55"`, `"print_status": "0"`).
struct Shipment: Sendable, Equatable {
    var id: Int64
    var orderID: Int64
    var storeID: String
    var trackingNumber = ""
    var carrierCode = ""
    var shipmentMethod = ""
    var weight = ""
    var cost = ""
    var status = ""
    var trackingURL = ""
    var labelFormat = ""
    var labelImage = ""
    var printStatus = "0"
    var orderItems = ""
    var cartShipmentID = ""
    var labelShipmentID = ""
    var dateShipped = ""
    var dateAdded = ""

    init(id: Int64, orderID: Int64, storeID: String) {
        self.id = id
        self.orderID = orderID
        self.storeID = storeID
    }

    /// Reads the writable fields. `tracking_number` is required (`n/a` when there is none); the
    /// tracking URL is derived from the carrier when omitted; `date_shipped` defaults to today.
    mutating func replaceWritableFields(from body: [String: JSONValue], now: Int64) throws {
        trackingNumber = body.text("tracking_number")
        guard !trackingNumber.isEmpty else {
            throw SimulatorError.badRequest("tracking_number is required (use n/a when there is none).")
        }
        carrierCode = body.text("carrier_code")
        shipmentMethod = body.text("shipment_method")
        weight = body.text("weight")
        cost = body.text("cost")
        status = body.text("status")
        trackingURL = body.text("tracking_url")
        if trackingURL.isEmpty { trackingURL = Self.trackingURL(carrier: carrierCode, number: trackingNumber) }
        labelFormat = body.text("label_format")
        labelImage = body.text("label_image")
        printStatus = body.has("print_status") ? body.text("print_status") : "0"
        // Clients send the shipped items as an array for partial shipments; OrderDesk stores text.
        if let items = body["order_items"], case .array = items {
            orderItems = items.encodedString()
        } else {
            orderItems = body.text("order_items")
        }
        cartShipmentID = body.text("cart_shipment_id")
        labelShipmentID = body.text("label_shipment_id")
        let shipped = body.text("date_shipped")
        dateShipped = shipped.isEmpty ? Timestamp.dateString(fromUnix: now) : shipped
    }

    /// Two shipments are the same when carrier and tracking number match; OrderDesk then answers
    /// "Shipment Not Added".
    func duplicates(_ other: Shipment) -> Bool {
        trackingNumber.caseInsensitiveCompare(other.trackingNumber) == .orderedSame
            && carrierCode.caseInsensitiveCompare(other.carrierCode) == .orderedSame
            && trackingNumber.lowercased() != "n/a"
    }

    static func trackingURL(carrier: String, number: String) -> String {
        guard number.lowercased() != "n/a" else { return "" }
        switch carrier.lowercased() {
        case "ups": return "http://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=\(number)"
        case "usps": return "https://tools.usps.com/go/TrackConfirmAction?tLabels=\(number)"
        case "fedex": return "https://www.fedex.com/fedextrack/?trknbr=\(number)"
        case "dhl": return "https://www.dhl.com/en/express/tracking.html?AWB=\(number)"
        default: return ""
        }
    }

    func json() -> JSONValue {
        [
            "id": .string(String(id)), "order_id": .string(String(orderID)), "store_id": .string(storeID),
            "tracking_number": .string(trackingNumber), "carrier_code": .string(carrierCode),
            "shipment_method": .string(shipmentMethod), "weight": .string(weight), "cost": .string(cost),
            "status": .string(status), "tracking_url": .string(trackingURL), "label_format": .string(labelFormat),
            "label_image": .string(labelImage), "print_status": .string(printStatus),
            "order_items": .string(orderItems), "cart_shipment_id": .string(cartShipmentID),
            "label_shipment_id": .string(labelShipmentID), "date_shipped": .string(dateShipped),
            "date_added": .string(dateAdded),
        ]
    }
}
