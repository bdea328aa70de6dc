import Foundation

/// The development mailbox: each message becomes one `.eml` file instead of leaving the machine.
/// Blocking file I/O: run only on `MailSender`'s threads.
///
/// The files hold live sign-in links, so the directory is created `0700` and each file `0600`;
/// a file is written under a temporary name and renamed, so a reader never sees half a message.
enum MailDropDirectory {
    /// Writes `message` and returns the file's path.
    static func write(_ message: [UInt8], into directory: String, date: Date) -> Result<String, MailError> {
        let files = FileManager.default
        do {
            try files.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            return .failure(MailError(.dropDirectoryFailed, "MAIL_DROP_DIR could not be created; check the path and permissions"))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let unique = (0..<6).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let name = "\(formatter.string(from: date))-\(unique).eml"
        let path = (directory as NSString).appendingPathComponent(name)
        let temporary = (directory as NSString).appendingPathComponent(".\(name).tmp")
        guard files.createFile(atPath: temporary, contents: Data(message), attributes: [.posixPermissions: 0o600]) else {
            return .failure(MailError(.dropDirectoryFailed, "MAIL_DROP_DIR is not writable; check its permissions"))
        }
        guard rename(temporary, path) == 0 else {
            try? files.removeItem(atPath: temporary)
            return .failure(MailError(.dropDirectoryFailed, "a message could not be stored in MAIL_DROP_DIR"))
        }
        return .success(path)
    }
}
