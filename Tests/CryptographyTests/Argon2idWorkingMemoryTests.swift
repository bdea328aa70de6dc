import Cryptography
import Foundation
import Testing

@Suite(.serialized) struct Argon2idWorkingMemoryTests {
    /// Four threads hashing at once, twice each: with the threshold fixed, their 19 MiB working
    /// areas are unmapped when each hash ends instead of staying in four malloc arenas (~76 MiB).
    @Test func workingMemoryGoesBackToTheSystemAfterEachHash() throws {
        #expect(Argon2id.keepWorkingMemoryOutOfMallocArenas())
        let argon = Argon2id()
        _ = try argon.hashRaw(password: [1], salt: Array(repeating: 7, count: 16))
        let before = try residentKiB()
        let group = DispatchGroup()
        for worker in 0..<4 {
            group.enter()
            let thread = Thread {
                for round in 0..<2 {
                    _ = try? argon.hashRaw(password: [UInt8(worker), UInt8(round)], salt: Array(repeating: 7, count: 16))
                }
                group.leave()
            }
            thread.start()
        }
        group.wait()
        let grown = try residentKiB() - before
        #expect(grown < 12_000, "resident memory grew by \(grown) KiB after 8 hashes on 4 threads")
    }

    private func residentKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }
}
