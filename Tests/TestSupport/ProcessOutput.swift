import Foundation

/// Reading what a child process started by a test prints.
public enum ProcessOutput {
    /// Reads up to the first newline on a plain thread (a blocking read must not sit on the
    /// cooperative pool). If the line does not come in time the process is killed, which ends the read.
    public static func firstLine(of handle: FileHandle, pid: Int32, timeout: TimeInterval) async -> String? {
        let reading = ReadState()
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            if !reading.isDone { kill(pid, SIGKILL) }
        }
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var data = Data()
                while !data.contains(UInt8(ascii: "\n")) {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    data.append(chunk)
                }
                reading.markDone()
                let text = String(decoding: data, as: UTF8.self)
                let line = text.split(separator: "\n", maxSplits: 1).first.map(String.init)
                continuation.resume(returning: line?.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
    }
}

/// Whether the startup line has been read; shared by the reader thread and the timeout.
/// `@unchecked Sendable`: the flag is only accessed under `lock`.
private final class ReadState: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    var isDone: Bool { lock.withLock { done } }
    func markDone() { lock.withLock { done = true } }
}
