//! Client paths, normalised lexically and checked against a rule's paths.

use std::path::{Component, Path, PathBuf};

use toml::Spanned;

use crate::policy::AbsolutePath;

/// `client` made absolute against `chdir`, with `.` and repeated slashes
/// removed. `..` is refused rather than resolved: whether it climbs out of
/// a directory depends on symlinks the decision cannot see.
pub fn normalise(client: &str, chdir: &Path) -> Result<PathBuf, String> {
    if client.is_empty() {
        return Err("an empty path".to_owned());
    }
    if client.split('/').any(|segment| segment == "..") {
        return Err(format!("path {client:?} contains `..`"));
    }
    let joined = if client.starts_with('/') {
        PathBuf::from(client)
    } else {
        chdir.join(client)
    };
    Ok(joined
        .components()
        .filter(|component| !matches!(component, Component::CurDir))
        .collect())
}

/// The rule path that `path` lies at or beneath, compared component by
/// component (`/srv` holds `/srv/a`, not `/srv2`).
pub fn within<'a>(path: &Path, roots: &'a [Spanned<AbsolutePath>]) -> Option<&'a Path> {
    roots
        .iter()
        .map(|root| root.get_ref().as_path())
        .find(|root| path.starts_with(root))
}

/// The client's path normalised and checked to lie within `roots`; `what`
/// names the list for the refusal (`"send"`, `"upload"`...).
pub fn inside(
    client: &str,
    chdir: &Path,
    roots: &[Spanned<AbsolutePath>],
    what: &str,
) -> Result<PathBuf, String> {
    let path = normalise(client, chdir)?;
    root_of(&path, roots, what)?;
    Ok(path)
}

/// The rule path holding the normalised `path`, or a refusal naming the
/// list (`what`) and its paths.
pub fn root_of<'a>(
    path: &Path,
    roots: &'a [Spanned<AbsolutePath>],
    what: &str,
) -> Result<&'a Path, String> {
    within(path, roots).ok_or_else(|| {
        let listed: Vec<String> = roots
            .iter()
            .map(|root| root.get_ref().to_string())
            .collect();
        if listed.is_empty() {
            format!(
                "path {} is refused: the rule's `{what}` list is empty",
                path.display()
            )
        } else {
            format!(
                "path {} is outside the rule's `{what}` paths ({})",
                path.display(),
                listed.join(", ")
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(paths: &[&str]) -> Vec<Spanned<AbsolutePath>> {
        paths
            .iter()
            .map(|path| Spanned::new(0..0, AbsolutePath::parse(path).unwrap()))
            .collect()
    }

    #[test]
    fn relative_paths_resolve_against_the_working_directory() {
        assert_eq!(
            normalise("a/./b//c/", Path::new("/srv")).unwrap(),
            PathBuf::from("/srv/a/b/c")
        );
        assert_eq!(
            normalise(".", Path::new("/srv")).unwrap(),
            PathBuf::from("/srv")
        );
        assert_eq!(
            normalise("/x/.", Path::new("/srv")).unwrap(),
            PathBuf::from("/x")
        );
    }

    #[test]
    fn dot_dot_is_refused_wherever_it_is() {
        for client in ["..", "../etc", "/srv/../etc", "a/..", "/srv/a/../../etc"] {
            let error = normalise(client, Path::new("/srv")).unwrap_err();
            assert!(error.contains("`..`"), "{client}: {error}");
        }
        // A name that merely starts with two dots is a name.
        assert!(normalise("/srv/..hidden", Path::new("/")).is_ok());
    }

    #[test]
    fn within_compares_whole_components() {
        let rule = roots(&["/srv", "/etc/ssh"]);
        assert_eq!(within(Path::new("/srv"), &rule), Some(Path::new("/srv")));
        assert_eq!(
            within(Path::new("/srv/a/b"), &rule),
            Some(Path::new("/srv"))
        );
        assert_eq!(within(Path::new("/srv2"), &rule), None);
        assert_eq!(within(Path::new("/etc"), &rule), None);
        assert_eq!(
            within(Path::new("/etc/ssh/x"), &rule),
            Some(Path::new("/etc/ssh"))
        );
    }

    #[test]
    fn inside_names_the_list_and_its_paths() {
        let error = inside("/etc/shadow", Path::new("/"), &roots(&["/srv"]), "send").unwrap_err();
        assert_eq!(
            error,
            "path /etc/shadow is outside the rule's `send` paths (/srv)"
        );
        let error = inside("/srv/x", Path::new("/"), &[], "receive").unwrap_err();
        assert!(error.contains("`receive` list is empty"), "{error}");
        assert_eq!(
            inside("x/y", Path::new("/srv"), &roots(&["/srv"]), "send").unwrap(),
            PathBuf::from("/srv/x/y")
        );
    }
}
