extension JSONParser {
    /// A number literal: `.int` when its exact value is an integer that fits `Int64`, else `.double`.
    ///
    /// The Codable path (`try? decode(Int64.self)` first) made `.int` of any literal whose nearest
    /// double was whole, so `1e-400` became 0 and `1.00000000000000000001` became 1 (fuzz BUG-3);
    /// here the literal's exact value decides. Whole values written with a fraction or exponent
    /// (`1.0`, `1e2`, `-0.0`) stay `.int`, so JSON-RPC ids and integer tool arguments written that
    /// way keep working.
    mutating func parseNumber() throws -> JSONValue {
        let start = index
        let isNegative = bytes[index] == UInt8(ascii: "-")
        if isNegative { index += 1 }

        let integerStart = index
        guard isDigit(at: index) else { throw failure("a number without digits") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1  // JSON forbids leading zeros: "01" ends the number after "0" and fails later.
        } else {
            skipDigits()
        }
        let integerDigits = integerStart..<index

        var fractionDigits = index..<index
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(at: index) else { throw failure("a number without digits after '.'") }
            let fractionStart = index
            skipDigits()
            fractionDigits = fractionStart..<index
        }

        var exponent = 0
        var hasExponent = false
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            hasExponent = true
            index += 1
            var exponentIsNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponentIsNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard isDigit(at: index) else { throw failure("a number without digits in its exponent") }
            while isDigit(at: index) {
                // Saturates: beyond this the value is zero or infinite whatever the digits.
                if exponent < 100_000_000 { exponent = exponent * 10 + Int(bytes[index] - UInt8(ascii: "0")) }
                index += 1
            }
            if exponentIsNegative { exponent = -exponent }
        }

        if fractionDigits.isEmpty && !hasExponent {
            if let integer = integer(digits: integerDigits, isNegative: isNegative) { return .int(integer) }
        } else if let integer = exactInteger(
            integerDigits: integerDigits, fractionDigits: fractionDigits, exponent: exponent, isNegative: isNegative)
        {
            return .int(integer)
        }
        return .double(try double(UnsafeBufferPointer(rebasing: bytes[start..<index])))
    }

    /// A literal without fraction or exponent, or nil when it does not fit `Int64`.
    private func integer(digits: Range<Int>, isNegative: Bool) -> Int64? {
        if digits.count <= 18 {  // cannot overflow
            var value: Int64 = 0
            for position in digits { value = value * 10 + Int64(bytes[position] - UInt8(ascii: "0")) }
            return isNegative ? -value : value
        }
        var magnitude: UInt64 = 0
        for position in digits {
            let (product, overflowed) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carried) = product.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
            guard !overflowed, !carried else { return nil }
            magnitude = sum
        }
        return signed(magnitude, isNegative: isNegative)
    }

    /// The literal's value when it is a whole number that fits `Int64`; nil otherwise. Its digits
    /// without the '.' form one sequence worth digits × 10^(exponent − fraction digit count).
    private func exactInteger(
        integerDigits: Range<Int>, fractionDigits: Range<Int>, exponent: Int, isNegative: Bool
    ) -> Int64? {
        let count = integerDigits.count + fractionDigits.count
        func digit(_ position: Int) -> UInt64 {
            let offset =
                position < integerDigits.count
                ? integerDigits.lowerBound + position : fractionDigits.lowerBound + position - integerDigits.count
            return UInt64(bytes[offset] - UInt8(ascii: "0"))
        }
        var first = 0
        while first < count && digit(first) == 0 { first += 1 }
        if first == count { return 0 }
        var last = count - 1
        while digit(last) == 0 { last -= 1 }
        let scale = exponent - fractionDigits.count + (count - 1 - last)
        // Negative scale: a fraction remains. More than 19 digits: at least 10^19, beyond Int64.
        guard scale >= 0, last - first + 1 + scale <= 19 else { return nil }
        var magnitude: UInt64 = 0
        for position in first...last { magnitude = magnitude * 10 + digit(position) }
        for _ in 0..<scale { magnitude *= 10 }
        return signed(magnitude, isNegative: isNegative)
    }

    private func signed(_ magnitude: UInt64, isNegative: Bool) -> Int64? {
        if isNegative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return Int64(truncatingIfNeeded: 0 &- magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// The nearest double, as JSONDecoder computed it (both use the C library's correctly rounded
    /// `strtod`); a literal beyond the double range is an error, as it was.
    private func double(_ literal: UnsafeBufferPointer<UInt8>) throws -> Double {
        guard let number = Double(String(decoding: literal, as: UTF8.self)), number.isFinite else {
            throw failure("a number too large for a double")
        }
        return number
    }

    private func isDigit(at position: Int) -> Bool {
        position < bytes.count && bytes[position] &- UInt8(ascii: "0") < 10
    }

    private mutating func skipDigits() {
        while isDigit(at: index) { index += 1 }
    }
}
