import App
import Foundation
import JSON
import OrderDesk

/// Schema pieces and argument reading shared by the shipment tools.
enum ShipmentSchemas {
    static let shipmentID: JSONValue = [
        "type": "string", "minLength": 1, "maxLength": 30, "description": "The OrderDesk shipment id (from shipments_list).",
    ]
    static let shipment: JSONValue = [
        "type": "object",
        "description": """
        An OrderDesk shipment as OrderDesk returns it: id, order_id, tracking_number, carrier_code, \
        shipment_method, weight, cost, status, tracking_url, date_shipped, date_added, … (all strings).
        """,
    ]

    /// Carrier codes as OrderDesk's API documentation writes them; a case-insensitive match is sent
    /// in this spelling, because OrderDesk derives the tracking URL from it.
    static let knownCarriers = ["USPS", "UPS", "FedEx", "DHL"]
    static let carrierCodeLength = 1...40

    static let carrierCode: JSONValue = [
        "type": "string", "minLength": .int(Int64(carrierCodeLength.lowerBound)),
        "maxLength": .int(Int64(carrierCodeLength.upperBound)),
        "pattern": "^[A-Za-z0-9][A-Za-z0-9 ._&/-]*$",
        "description": """
        The carrier, as OrderDesk names it: USPS, UPS, FedEx (OrderDesk's documented codes; DHL too), \
        matched without regard to case and sent in that spelling so OrderDesk can build the tracking URL. \
        Other carriers: their name, 1-40 letters, digits, spaces and . _ & / - (starting with a letter or digit).
        """,
    ]

    /// One entry of `shipments_add`'s `shipments`.
    static let newShipment: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["order_id", "tracking_number", "carrier_code"],
        "properties": [
            "order_id": OrderSchemas.orderID,
            "tracking_number": [
                "type": "string", "minLength": 1, "maxLength": 100,
                "description": "The tracking number; `n/a` when there is none.",
            ],
            "carrier_code": carrierCode,
            "shipment_method": [
                "type": "string", "minLength": 1, "maxLength": 100,
                "description": "The carrier's service, e.g. Ground or Priority Mail.",
            ],
            "weight": ["type": "number", "minimum": 0, "maximum": 100_000, "description": "Shipment weight."],
            "cost": ["type": "number", "minimum": 0, "maximum": 1_000_000, "description": "What the shipping cost."],
            "tracking_url": [
                "type": "string", "minLength": 1, "maxLength": 500,
                "description": "Tracking page; OrderDesk derives it from carrier and number when omitted.",
            ],
            "date_shipped": [
                "type": "string", "minLength": 10, "maxLength": 10, "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                "description": "YYYY-MM-DD; OrderDesk uses today when omitted.",
            ],
            "status": ["type": "string", "minLength": 1, "maxLength": 50, "description": "A free-text shipment status."],
        ],
    ]

    /// The entry at `path` as OrderDesk's batch entry, after the checks the schema cannot express.
    static func batchEntry(_ value: JSONValue, path: String) throws -> BatchShipment {
        guard let fields = value.objectValue, let orderID = fields["order_id"]?.stringValue,
            let trackingNumber = fields["tracking_number"]?.stringValue,
            let carrier = fields["carrier_code"]?.stringValue
        else { throw MCPError.validation("`\(path)` needs order_id, tracking_number and carrier_code") }
        guard trackingNumber.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }),
            !trackingNumber.trimmingCharacters(in: .whitespaces).isEmpty
        else {
            throw MCPError.validation("`\(path).tracking_number` must be printable text; use n/a when there is none")
        }
        let dateShipped = fields["date_shipped"]?.stringValue
        if let dateShipped, !isDate(dateShipped) {
            throw MCPError.validation("`\(path).date_shipped` must be a date as YYYY-MM-DD")
        }
        return BatchShipment(
            orderID: orderID,
            shipment: NewShipment(
                trackingNumber: trackingNumber, carrierCode: try carrierCode(carrier, path: "\(path).carrier_code"),
                shipmentMethod: fields["shipment_method"]?.stringValue, weight: fields["weight"]?.lenientDouble,
                cost: fields["cost"]?.lenientDouble, status: fields["status"]?.stringValue,
                trackingURL: fields["tracking_url"]?.stringValue, dateShipped: dateShipped))
    }

    /// A carrier code in OrderDesk's spelling, or `validation_error` naming the accepted form.
    static func carrierCode(_ text: String, path: String) throws -> String {
        if let known = knownCarriers.first(where: { $0.lowercased() == text.lowercased() }) { return known }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._&/-")
        guard carrierCodeLength.contains(text.count), let first = text.first, first.isASCII,
            first.isLetter || first.isNumber, text.allSatisfy(allowed.contains)
        else {
            throw MCPError.validation(
                "`\(path)` is not a carrier code: use USPS, UPS, FedEx or DHL, or another carrier's name "
                    + "(1-40 letters, digits, spaces and . _ & / -, starting with a letter or digit)")
        }
        return text
    }

    private static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let month = Int(parts[1]), let day = Int(parts[2])
        else { return false }
        return (1...12).contains(month) && (1...31).contains(day)
    }
}
