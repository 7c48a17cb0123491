//! sshd's PAM configuration, checked when sshd says `UsePAM yes`:
//! `pam_env.so user_readenv=1` reads `~/.pam_environment`, which works
//! like `PermitUserEnvironment yes` (the user sets `LD_PRELOAD` and the
//! like for the login shell and sshgate, before the gate runs).

use std::fs;
use std::io;

use super::report::{Finding, Level};

/// The PAM configuration sshd uses, read for `pam_env.so user_readenv=1`.
pub const PAM_SSHD: &str = "/etc/pam.d/sshd";

/// Reads [`PAM_SSHD`].
pub fn read_pam_sshd() -> io::Result<String> {
    fs::read_to_string(PAM_SSHD)
}

/// The lines of a PAM service file that load `pam_env.so` with
/// `user_readenv=1`, by line number (from 1). `@include`d files are not
/// followed.
pub fn pam_user_readenv_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let line = line.split('#').next().unwrap_or_default();
            let words: Vec<&str> = line.split_whitespace().collect();
            let module = words
                .iter()
                .position(|word| word.rsplit('/').next() == Some("pam_env.so"))?;
            words[module + 1..]
                .contains(&"user_readenv=1")
                .then_some(index + 1)
        })
        .collect()
}

/// The findings for the PAM service file `path`, with contents `text` (or
/// why it could not be read), when sshd says `UsePAM yes`.
pub fn pam_findings(path: &str, text: Result<&str, &io::Error>) -> Vec<Finding> {
    let text = match text {
        Ok(text) => text,
        Err(error) => {
            return vec![Finding::new(
                Level::Info,
                format!("UsePAM yes, but {path} cannot be read: {error}"),
            )];
        }
    };
    let lines = pam_user_readenv_lines(text);
    if lines.is_empty() {
        return vec![Finding::new(
            Level::Ok,
            format!("UsePAM yes: {path} does not read ~/.pam_environment"),
        )];
    }
    lines
        .into_iter()
        .map(|line| {
            Finding::located(
                Level::Warn,
                format!("{path}:{line}"),
                "pam_env.so user_readenv=1 reads ~/.pam_environment, where the user can set \
                 LD_PRELOAD and the like for the login shell and sshgate (as PermitUserEnvironment \
                 would); remove user_readenv=1",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(findings: &[Finding]) -> Vec<String> {
        findings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn pam_env() {
        let debian = "\
@include common-auth
session [success=ok ignore=ignore module_unknown=ignore default=bad]        pam_selinux.so close
session    required     pam_env.so # [1]
session    required     pam_env.so user_readenv=1 envfile=/etc/default/locale
# session    required     pam_env.so user_readenv=1
";
        assert_eq!(pam_user_readenv_lines(debian), [4]);
        assert_eq!(
            messages(&pam_findings(PAM_SSHD, Ok(debian))),
            [
                "WARN: /etc/pam.d/sshd:4: pam_env.so user_readenv=1 reads ~/.pam_environment, \
              where the user can set LD_PRELOAD and the like for the login shell and sshgate \
              (as PermitUserEnvironment would); remove user_readenv=1"
            ]
        );
        assert_eq!(
            pam_user_readenv_lines("auth required /lib/security/pam_env.so user_readenv=1\n"),
            [1]
        );
        assert!(pam_user_readenv_lines("session required pam_env.so user_readenv=0\n").is_empty());
        assert_eq!(
            pam_findings(PAM_SSHD, Ok("session required pam_env.so\n"))[0].level,
            Level::Ok
        );
    }

    #[test]
    fn an_unreadable_file_is_a_fact() {
        let error = io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(
            messages(&pam_findings(PAM_SSHD, Err(&error))),
            [
                "INFO: UsePAM yes, but /etc/pam.d/sshd cannot be read: Permission denied (os error 13)"
            ]
        );
    }
}
