import Logging
import Synchronization

/// Sign-in mail, off the request path and bounded: `POST /signin` only enqueues (the same constant
/// work for every address, member or not), and one worker looks the address up, makes the links
/// and sends one mail (none for an address that is no member), at most `concurrency` at a time.
///
/// At most `capacity` requests wait; beyond that a request is dropped and logged (without the
/// address) and counted in `dropped`: the answer to the browser is the same either way, so a flood
/// of sign-in requests costs bounded memory and bounded database and SMTP work.
///
/// Owned by the server's service group: `shutdown(deadline:)` stops taking new requests, lets the
/// queued ones finish until `deadline`, and abandons the rest (their links, if already made,
/// expire unused).
public final class SignInMailQueue: Sendable {
    public static let subject = "Sign in to OrderDesk MCP"

    /// One sign-in request waiting for its mail.
    public struct Job: Sendable {
        public let email: MemberEmail
        public let binding: String
        public let requestID: String?
        public let correlationID: String

        public init(email: MemberEmail, binding: String, requestID: String?, correlationID: String) {
            self.email = email
            self.binding = binding
            self.requestID = requestID
            self.correlationID = correlationID
        }
    }

    /// What happens to one job: issue the links and send (`deliver`), injectable for tests.
    public typealias Deliver = @Sendable (Job) async -> Void

    public let capacity: Int
    private let continuation: AsyncStream<Job>.Continuation
    private let worker: Task<Void, Never>
    private let counters = Counters()
    private let logger: Logger

    private final class Counters: Sendable {
        let dropped = Mutex(0)
        let delivered = Mutex(0)
    }

    /// - Parameters:
    ///   - capacity: requests that may wait; more are dropped.
    ///   - concurrency: mails in progress at once.
    public init(capacity: Int = 100, concurrency: Int = 2, logger: Logger, deliver: @escaping Deliver) {
        self.capacity = max(1, capacity)
        self.logger = logger
        let (stream, continuation) = AsyncStream<Job>.makeStream(bufferingPolicy: .bufferingOldest(max(1, capacity)))
        self.continuation = continuation
        let counters = self.counters
        let width = max(1, concurrency)
        worker = Task {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                var jobs = stream.makeAsyncIterator()
                while true {
                    // A free slot first, then the next job: a job waits in the bounded buffer, not here.
                    if running >= width {
                        await group.next()
                        running -= 1
                    }
                    guard let job = await jobs.next() else { break }
                    group.addTask {
                        await deliver(job)
                        counters.delivered.withLock { $0 += 1 }
                    }
                    running += 1
                }
            }
        }
    }

    /// The queue that issues links with `links` and sends with `sender`.
    public convenience init(
        sender: MailSender, links: MagicLinkStore, issuer: String, capacity: Int = 100, concurrency: Int = 2,
        logger: Logger
    ) {
        self.init(capacity: capacity, concurrency: concurrency, logger: logger) { job in
            do {
                let issues = try await links.issue(to: job.email, binding: job.binding)
                guard !issues.isEmpty else { return }
                let message = try MailMessage(
                    to: try MailAddress(job.email.address), subject: Self.subject,
                    body: Self.body(
                        issues, issuer: issuer, requestID: job.requestID, minutes: Int(links.ttl.components.seconds / 60)))
                _ = try await sender.send(message)
            } catch {
                // The error never holds the link (MailError names the server only; store errors no token).
                logger.error(
                    "could not send a sign-in mail", metadata: ["request_id": "\(job.correlationID)", "error": "\(error)"])
            }
        }
    }

    /// Queues `job`; false when it was dropped (the queue is full or shut down). Never waits.
    @discardableResult
    public func enqueue(_ job: Job) -> Bool {
        switch continuation.yield(job) {
        case .enqueued:
            return true
        case .dropped:
            counters.dropped.withLock { $0 += 1 }
            logger.warning("sign-in mail dropped: the queue is full", metadata: ["request_id": "\(job.correlationID)"])
            return false
        case .terminated:
            counters.dropped.withLock { $0 += 1 }
            logger.warning("sign-in mail dropped: the server is stopping", metadata: ["request_id": "\(job.correlationID)"])
            return false
        @unknown default:
            return false
        }
    }

    /// Requests dropped since start-up.
    public var dropped: Int { counters.dropped.withLock { $0 } }

    /// Requests whose delivery finished (sent, no member, or failed) since start-up.
    public var delivered: Int { counters.delivered.withLock { $0 } }

    /// Takes no new requests, and waits until the queued ones are done or `deadline` has passed;
    /// then the rest is cancelled and abandoned (a send stuck in libcurl ends at its own time-out).
    public func shutdown(deadline: Duration = .seconds(10)) async {
        continuation.finish()
        let worker = self.worker
        let first = FirstOf()
        let finished = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            first.set(continuation)
            let timer = Task {
                try? await Task.sleep(for: deadline)
                first.resume(false)
            }
            Task {
                await worker.value
                timer.cancel()
                first.resume(true)
            }
        }
        if !finished {
            worker.cancel()
            logger.warning("sign-in mail queue stopped before every queued mail was sent")
        }
    }

    /// Resumes a continuation once, with whichever answer comes first.
    private final class FirstOf: Sendable {
        private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

        func set(_ value: CheckedContinuation<Bool, Never>) { continuation.withLock { $0 = value } }

        func resume(_ value: Bool) {
            continuation.withLock { stored in
                stored?.resume(returning: value)
                stored = nil
            }
        }
    }

    deinit {
        continuation.finish()
    }

    /// One line per tenant: `Tenant name: BASE/signin/link?token=…&request=…` (the token and the
    /// request id are base64url: nothing in them needs escaping in a URL).
    public static func body(_ issues: [MagicLinkIssue], issuer: String, requestID: String?, minutes: Int) -> String {
        let lines = issues.map { issue in
            let query = "token=" + issue.token + (requestID.map { "&request=" + $0 } ?? "")
            let name = String(
                issue.tenantName.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
            return "\(name): \(issuer)/signin/link?\(query)"
        }
        let which = issues.count == 1 ? "Open this link" : "Open the link of the tenant you want to sign in for"
        return """
            Someone asked to sign in to OrderDesk MCP with this address.

            \(which) in the browser where you asked for it, within \(minutes) minutes. It works once.

            \(lines.joined(separator: "\n"))

            If you did not ask for this, ignore this mail: nothing happens without the link.

            """
    }
}
