internal import CLibgit2
#if canImport(Glibc)
import Glibc
#endif

/// Credentials for talking to a remote (push, fetch, clone), reached through the payload pointer
/// of libgit2's callbacks.
class RemoteCredentials {
    let passwords: PasswordSource?
    /// Why no credentials could be given, in words.
    var failure: String?
    private var triedAgent = false
    /// The user name and password given, until the server's verdict on them is known.
    private var given: UserPassword?

    init(passwords: PasswordSource?) {
        self.passwords = passwords
    }

    class func of(_ payload: UnsafeMutableRawPointer?) -> RemoteCredentials {
        Unmanaged<RemoteCredentials>.fromOpaque(payload!).takeUnretainedValue()
    }

    /// Credentials as the git CLI finds them: the ssh agent for ssh, git's credential helpers
    /// for https. Each is tried once: libgit2 asks again when the server refused the last ones.
    func credential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, url: String, username: String?,
                    allowed: UInt32) -> Int32 {
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
            guard !triedAgent else {
                failure = "the ssh agent has no key the server accepts for user '\(username ?? Self.loginName)'; add yours with ssh-add (is SSH_AUTH_SOCK set?)"
                return GIT_EAUTH.rawValue
            }
            triedAgent = true
            return git_credential_ssh_key_from_agent(out, username ?? Self.loginName)
        }
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
            return git_credential_username_new(out, username ?? Self.loginName)
        }
        guard allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 else {
            failure = "the server asks for a kind of credentials conductor cannot give (only the ssh agent and git's credential helpers)"
            return GIT_EAUTH.rawValue
        }
        if given != nil {
            finish(url: url, worked: false)
            failure = "the server refused the user name and password git's credential helpers gave (they were told to forget them); check them with: git credential fill"
            return GIT_EAUTH.rawValue
        }
        guard let found = passwords?.password(for: url, username: username) else {
            failure = "no user name and password for it from git's credential helpers; set one up (e.g. `gh auth setup-git`), or reach the remote once with git (git fetch, git push) so a helper stores them"
            return GIT_EAUTH.rawValue
        }
        given = found
        return git_credential_userpass_plaintext_new(out, found.username, found.password)
    }

    /// Tells the password source whether the user name and password it gave worked.
    func finish(url: String, worked: Bool) {
        guard let credential = given else { return }
        given = nil
        passwords?.passwordWorked(credential, for: url, worked)
    }

    /// The user ssh logs in as when the URL names none, as OpenSSH does: the local user.
    private static var loginName: String {
        getpwuid(getuid()).flatMap { $0.pointee.pw_name }.map { String(cString: $0) } ?? "git"
    }
}
