//! Unit tests of [`resolve`] as a whole: plans in, descriptors or errors
//! out. Tests of one piece on its own are next to it (`walk`, `writable`).

use super::*;
use crate::sandbox::placement::FileId;
use crate::sandbox::testing::{grant, plan_for};
use crate::sandbox::walk::metadata_of;
use crate::sandbox::walk::tests::{make_dir, stat_id, walked_id};
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

#[test]
fn missing_policy_path_is_an_error_naming_it() {
    let plan = plan_for(
        Path::new("/usr/sbin/ldconfig"),
        vec![grant(
            "/srv/does-not-exist/x",
            Access::Read,
            GrantOrigin::Policy,
        )],
    );
    if !plan.program.exists() {
        eprintln!("skipped: /usr/sbin/ldconfig missing");
        return;
    }
    let error = resolve(&plan).unwrap_err();
    assert!(matches!(error, SandboxError::MissingPath { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "grant path /srv/does-not-exist/x does not exist"
    );
}

#[test]
fn missing_program_is_an_error() {
    let plan = plan_for(
        Path::new("/usr/bin/sshgate-no-such-program"),
        vec![grant(
            "/usr/bin/sshgate-no-such-program",
            Access::Execute,
            GrantOrigin::Program,
        )],
    );
    assert!(matches!(
        resolve(&plan),
        Err(SandboxError::MissingPath { .. })
    ));
}

#[test]
fn missing_base_path_is_skipped_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("lib64");
    let missing = missing.to_str().unwrap();
    let through_file = "/etc/passwd/not-a-dir"; // ENOTDIR counts as missing
    let plan = plan_for(
        Path::new("/usr/bin/cat"),
        vec![
            grant("/usr", Access::Read, GrantOrigin::SystemBase),
            grant(missing, Access::Read, GrantOrigin::SystemBase),
            grant(through_file, Access::Read, GrantOrigin::SystemBase),
            grant("/usr/bin/cat", Access::Execute, GrantOrigin::Program),
        ],
    );
    let resolved = resolve(&plan).unwrap();
    assert_eq!(
        resolved.skipped(),
        [PathBuf::from(missing), PathBuf::from(through_file)]
    );
    // Skipped grants stay visible to `explain`; only opened ones become rules.
    assert!(
        resolved
            .grants()
            .iter()
            .any(|g| g.path == Path::new(missing))
    );
    assert_eq!(resolved.opened().len(), resolved.grants().len() - 2);
}

#[test]
#[cfg(all(target_arch = "x86_64", target_env = "gnu"))]
fn interpreter_grants_are_added_once() {
    let plan = plan_for(
        Path::new("/usr/bin/cat"),
        vec![grant("/usr/bin/cat", Access::Execute, GrantOrigin::Program)],
    );
    let resolved = resolve(&plan).unwrap();
    assert_eq!(
        resolved.grants().last(),
        Some(&grant(
            "/lib64/ld-linux-x86-64.so.2",
            Access::Execute,
            GrantOrigin::Interpreter
        ))
    );
    assert!(resolved.opened().iter().all(|g| !g.is_dir));

    // A plan that already makes the loader executable gets no duplicate.
    let mut plan = plan;
    plan.filesystem.push(grant(
        "/lib64/ld-linux-x86-64.so.2",
        Access::Execute,
        GrantOrigin::Policy,
    ));
    assert_eq!(resolve(&plan).unwrap().grants(), plan.filesystem.as_slice());
}

#[test]
fn relative_grant_is_an_error() {
    let plan = plan_for(
        Path::new("/usr/bin/cat"),
        vec![grant("usr", Access::Read, GrantOrigin::SystemBase)],
    );
    assert!(matches!(
        resolve(&plan),
        Err(SandboxError::RelativePath { .. })
    ));
}

#[test]
fn directories_are_told_apart_from_files() {
    let plan = plan_for(
        Path::new("/usr/bin/cat"),
        vec![
            grant("/usr", Access::Read, GrantOrigin::SystemBase),
            grant("/dev/null", Access::ReadWrite, GrantOrigin::SystemBase),
        ],
    );
    let resolved = resolve(&plan).unwrap();
    let kinds: Vec<bool> = resolved.opened().iter().map(|g| g.is_dir).collect();
    assert_eq!(&kinds[..2], [true, false]);
}

/// A grant of `path` from the policy.
fn policy(path: &Path, access: Access) -> PathGrant {
    PathGrant {
        path: path.to_path_buf(),
        access,
        origin: GrantOrigin::Policy,
    }
}

/// A plan running `/usr/bin/cat` with `grants` after the program's own.
fn cat_with(grants: Vec<PathGrant>) -> Plan {
    let mut all = vec![grant("/usr/bin/cat", Access::Execute, GrantOrigin::Program)];
    all.extend(grants);
    plan_for(Path::new("/usr/bin/cat"), all)
}

/// Writes an executable file `name` in `parent`.
fn make_executable(parent: &Path, name: &str, contents: &str) -> PathBuf {
    let path = parent.join(name);
    fs::write(&path, contents).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The `(link, why)` of an untrusted-symlink error for `path`.
fn untrusted_link(result: Result<Resolved, SandboxError>, path: &Path) -> (PathBuf, String) {
    match result {
        Err(SandboxError::UntrustedSymlink {
            path: refused,
            link,
            why,
        }) if refused == path => (link, why),
        other => panic!(
            "expected an untrusted symlink in {}, got {other:?}",
            path.display()
        ),
    }
}

/// Whether the tests may change owners; otherwise they are skipped.
fn running_as_root() -> bool {
    let root = getuid().is_root();
    if !root {
        eprintln!("skipped: needs root to change owners");
    }
    root
}

#[test]
fn symlink_planted_beneath_a_write_grant_is_refused() {
    // The review's repro: the command may write w, so on an earlier run
    // it could have made w/pub -> /, widening a read grant of w/pub.
    let dir = tempfile::tempdir().unwrap();
    let w = make_dir(dir.path(), "w", 0o755);
    let public = w.join("pub");
    symlink("/", &public).unwrap();
    let plan = cat_with(vec![
        policy(&w, Access::ReadWrite),
        policy(&public, Access::Read),
    ]);
    let error = resolve(&plan).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "grant path {p} goes through symlink {p}, which lies beneath the \
             writable path {w}; write the real path",
            p = public.display(),
            w = w.display()
        )
    );
}

#[test]
fn planted_symlink_is_found_through_aliases_of_either_path() {
    let dir = tempfile::tempdir().unwrap();
    let w = make_dir(dir.path(), "w", 0o755);
    symlink("/", w.join("pub")).unwrap();
    symlink("w", dir.path().join("alias")).unwrap();

    // Read through a trusted alias of the writable directory.
    let through_alias = dir.path().join("alias/pub");
    let plan = cat_with(vec![
        policy(&w, Access::ReadWrite),
        policy(&through_alias, Access::Read),
    ]);
    let (link, why) = untrusted_link(resolve(&plan), &through_alias);
    assert_eq!(link, through_alias, "the link is named as written");
    assert_eq!(
        why,
        format!("lies beneath the writable path {}", w.display())
    );

    // Write granted through the alias, read written physically.
    let alias = dir.path().join("alias");
    let physical = w.join("pub");
    let plan = cat_with(vec![
        policy(&alias, Access::ReadWrite),
        policy(&physical, Access::Read),
    ]);
    let (_, why) = untrusted_link(resolve(&plan), &physical);
    assert_eq!(
        why,
        format!("lies beneath the writable path {}", alias.display())
    );
}

#[test]
fn symlink_at_a_write_path_or_outside_it_is_followed() {
    // Replacing a link at the writable path itself needs write access to
    // its parent, which the grant does not give.
    let dir = tempfile::tempdir().unwrap();
    make_dir(dir.path(), "real", 0o755);
    let data = make_dir(dir.path(), "data", 0o755);
    fs::write(data.join("file"), "x").unwrap();
    let writable = dir.path().join("writable");
    symlink("real", &writable).unwrap();
    let readable = dir.path().join("readable");
    symlink(&data, &readable).unwrap();
    let plan = cat_with(vec![
        policy(&writable, Access::ReadWrite),
        policy(&readable.join("file"), Access::Read),
    ]);
    let resolved = resolve(&plan).unwrap();
    assert_eq!(resolved.opened().len(), plan.filesystem.len() + 1); // + loader
}

#[test]
fn symlink_in_a_group_writable_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shared = make_dir(dir.path(), "shared", 0o775);
    let link = shared.join("link");
    symlink("/etc", &link).unwrap();
    let plan = cat_with(vec![policy(&link, Access::Read)]);
    let error = resolve(&plan).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "grant path {l} goes through symlink {l}, which is in {s}, which is \
             group-writable (mode 0775); write the real path",
            l = link.display(),
            s = shared.display()
        )
    );
}

#[test]
fn symlink_beneath_a_world_writable_ancestor_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let open = make_dir(dir.path(), "open", 0o757);
    let inner = make_dir(&open, "inner", 0o755);
    let link = inner.join("link");
    symlink("/etc", &link).unwrap();
    let plan = cat_with(vec![policy(&link, Access::Read)]);
    let (_, why) = untrusted_link(resolve(&plan), &link);
    assert_eq!(
        why,
        format!(
            "is in {}, beneath {}, which is world-writable (mode 0757)",
            inner.display(),
            open.display()
        )
    );
}

#[test]
fn symlink_in_another_users_directory_is_refused_unless_invoked_by_them() {
    if !running_as_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let theirs = make_dir(dir.path(), "theirs", 0o755);
    std::os::unix::fs::chown(&theirs, Some(12345), None).unwrap();
    let link = theirs.join("link");
    symlink("/etc", &link).unwrap();
    let plan = cat_with(vec![policy(&link, Access::Read)]);
    let (_, why) = untrusted_link(resolve_for(&plan, 0), &link);
    assert_eq!(
        why,
        format!(
            "is in {}, which is owned by uid 12345, not by root or the invoking user (uid 0)",
            theirs.display()
        )
    );
    assert!(resolve_for(&plan, 12345).is_ok());
}

#[test]
fn symlink_in_a_sticky_directory_must_belong_to_root_or_the_invoker() {
    if !running_as_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sticky = make_dir(dir.path(), "sticky", 0o1777);
    let link = sticky.join("link");
    symlink("/etc", &link).unwrap();
    let plan = cat_with(vec![policy(&link, Access::Read)]);
    assert!(resolve_for(&plan, 0).is_ok(), "root's own link is trusted");

    std::os::unix::fs::lchown(&link, Some(12345), None).unwrap();
    let (_, why) = untrusted_link(resolve_for(&plan, 0), &link);
    assert_eq!(
        why,
        format!(
            "is owned by uid 12345, not by root or the invoking user (uid 0), \
             in the sticky directory {}",
            sticky.display()
        )
    );
    assert!(resolve_for(&plan, 12345).is_ok(), "the invoker's link");
}

#[test]
fn links_inside_a_links_target_are_checked_too() {
    let dir = tempfile::tempdir().unwrap();
    let shared = make_dir(dir.path(), "shared", 0o775);
    let inner = shared.join("inner");
    symlink("/etc", &inner).unwrap();
    let outer = dir.path().join("outer");
    symlink(&inner, &outer).unwrap();
    let plan = cat_with(vec![policy(&outer, Access::Read)]);
    let (link, _) = untrusted_link(resolve(&plan), &outer);
    assert_eq!(
        link, inner,
        "a link the policy did not write is named physically"
    );
}

#[test]
fn dot_dot_in_a_target_is_resolved_physically() {
    // alias -> real/a; real/a/up -> ../g. The kernel reaches real/g (group-
    // writable), not the trusted dir/g a textual `..` would suggest.
    let dir = tempfile::tempdir().unwrap();
    let real = make_dir(dir.path(), "real", 0o755);
    make_dir(&real, "a", 0o755);
    let untrusted = make_dir(&real, "g", 0o775);
    let trusted = make_dir(dir.path(), "g", 0o755);
    symlink("/", untrusted.join("x")).unwrap();
    symlink("/", trusted.join("x")).unwrap();
    symlink("real/a", dir.path().join("alias")).unwrap();
    symlink("../g", real.join("a/up")).unwrap();

    let path = dir.path().join("alias/up/x");
    let plan = cat_with(vec![policy(&path, Access::Read)]);
    let (link, why) = untrusted_link(resolve(&plan), &path);
    assert_eq!(link, path, "named as written");
    assert!(
        why.starts_with(&format!("is in {},", untrusted.display())),
        "{why}"
    );
}

#[test]
fn symlink_loop_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    symlink("two", &one).unwrap();
    symlink("one", dir.path().join("two")).unwrap();
    let plan = cat_with(vec![policy(&one, Access::Read)]);
    match resolve(&plan) {
        Err(SandboxError::OpenPath { path, source }) => {
            assert_eq!(path, one);
            assert_eq!(source.raw_os_error(), Some(libc::ELOOP));
        }
        other => panic!("expected ELOOP, got {other:?}"),
    }
}

#[test]
fn proc_self_in_root_owned_proc_is_followed() {
    let plan = cat_with(vec![grant(
        "/proc/self/mountinfo",
        Access::Read,
        GrantOrigin::Policy,
    )]);
    assert!(resolve(&plan).is_ok());
}

#[test]
fn the_system_base_follows_every_link_the_program_only_trusted_ones() {
    // /lib64 and /bin are symlinks on usr-merged systems, root's; a link in
    // a directory someone else may write is another matter for the
    // program: whoever may write there chooses what the command runs.
    let dir = tempfile::tempdir().unwrap();
    let shared = make_dir(dir.path(), "shared", 0o775);
    let bin = shared.join("bin");
    symlink("/usr/bin", &bin).unwrap();
    let base = PathGrant {
        path: shared.join("bin"),
        access: Access::Read,
        origin: GrantOrigin::SystemBase,
    };
    let plan = plan_for(Path::new("/usr/bin/cat"), vec![base.clone()]);
    assert!(resolve(&plan).is_ok(), "{:?}", resolve(&plan).err());

    let program = bin.join("cat");
    let plan = plan_for(
        &program,
        vec![
            base,
            PathGrant {
                path: program.clone(),
                access: Access::Execute,
                origin: GrantOrigin::Program,
            },
        ],
    );
    let (link, why) = untrusted_link(resolve(&plan), &program);
    assert_eq!(link, bin);
    assert_eq!(
        why,
        format!(
            "is in {}, which is group-writable (mode 0775)",
            shared.display()
        )
    );
}

#[test]
fn an_executable_in_a_directory_someone_else_may_write_is_refused() {
    // No link at all: whoever may write shared could rename another file
    // over tool before the walk, so tool is not trusted either.
    let dir = tempfile::tempdir().unwrap();
    let shared = make_dir(dir.path(), "shared", 0o775);
    let tool = make_executable(&shared, "tool", "#!/bin/sh\n");
    let plan = cat_with(vec![policy(&tool, Access::Execute)]);
    assert!(matches!(
        resolve(&plan),
        Err(SandboxError::UntrustedExecutable { path, why })
            if path == tool
                && why == format!("in {}, which is group-writable (mode 0775)", shared.display())
    ));
}

#[test]
fn exec_at_or_beneath_a_write_grant_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let w = make_dir(dir.path(), "w", 0o755);
    let tool = make_executable(&w, "tool", "#!/bin/sh\n");
    let alias = dir.path().join("alias");
    symlink("w", &alias).unwrap();
    let cases = [
        (&tool, &w, "beneath, as written"),
        (&w, &w, "at"),
        (&tool, &alias, "beneath the canonical write path"),
        (&alias.join("tool"), &w, "canonically beneath"),
    ];
    for (exec, write, case) in cases {
        let plan = cat_with(vec![
            policy(write, Access::ReadWrite),
            policy(exec, Access::Execute),
        ]);
        let error = resolve(&plan).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "executable {} is beneath writable {}: the command could replace \
                 what it may execute",
                exec.display(),
                write.display()
            ),
            "{case}"
        );
    }
}

#[test]
fn program_beneath_a_write_grant_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let w = make_dir(dir.path(), "w", 0o755);
    let tool = make_executable(&w, "tool", "#!/bin/sh\n");
    let plan = plan_for(
        &tool,
        vec![
            PathGrant {
                path: tool.clone(),
                access: Access::Execute,
                origin: GrantOrigin::Program,
            },
            policy(&w, Access::ReadWrite),
        ],
    );
    assert!(matches!(
        resolve(&plan),
        Err(SandboxError::ExecBeneathWrite { exec, write }) if exec == tool && write == w
    ));
}

#[test]
fn interpreter_beneath_a_write_grant_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let w = make_dir(dir.path(), "w", 0o755);
    let bin = make_dir(dir.path(), "bin", 0o755);
    let interpreter = make_executable(&w, "interp", "#!/bin/sh\n");
    let script = make_executable(&bin, "script", &format!("#!{}\n", interpreter.display()));
    let plan = cat_with(vec![
        policy(&w, Access::ReadWrite),
        policy(&script, Access::Execute),
    ]);
    assert!(matches!(
        resolve(&plan),
        Err(SandboxError::ExecBeneathWrite { exec, write })
            if exec == interpreter && write == w
    ));
}

#[test]
#[cfg(all(target_arch = "x86_64", target_env = "gnu"))]
fn exec_script_gets_its_interpreters_once() {
    let dir = tempfile::tempdir().unwrap();
    let bin = make_dir(dir.path(), "bin", 0o755);
    let script = make_executable(&bin, "script", "#!/bin/sh\necho hi\n");
    let plan = cat_with(vec![policy(&script, Access::Execute)]);
    let resolved = resolve(&plan).unwrap();
    // cat's loader, then the script's shell; the shell's loader is the same.
    assert_eq!(
        &resolved.grants()[plan.filesystem.len()..],
        [
            grant(
                "/lib64/ld-linux-x86-64.so.2",
                Access::Execute,
                GrantOrigin::Interpreter
            ),
            grant("/bin/sh", Access::Execute, GrantOrigin::Interpreter),
        ]
    );
    assert_eq!(resolved.opened().len(), resolved.grants().len());
}

#[test]
fn exec_directory_is_granted_without_interpreters() {
    let dir = tempfile::tempdir().unwrap();
    let bin = make_dir(dir.path(), "bin", 0o755);
    make_executable(&bin, "script", "#!/bin/sh\necho hi\n");
    let plan = cat_with(vec![policy(&bin, Access::Execute)]);
    let resolved = resolve(&plan).unwrap();
    let added = &resolved.grants()[plan.filesystem.len()..];
    assert!(
        added.iter().all(|g| g.path != Path::new("/bin/sh")),
        "{added:?}"
    );
    assert!(resolved.opened()[1].is_dir);
}

#[test]
fn exec_entry_that_cannot_be_executed_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let bin = make_dir(dir.path(), "bin", 0o755);
    let text = make_executable(&bin, "notes", "not a program\n");
    let plan = cat_with(vec![policy(&text, Access::Execute)]);
    assert!(matches!(
        resolve(&plan),
        Err(SandboxError::Interpreter(
            crate::sandbox::InterpreterError::UnknownFormat { .. }
        ))
    ));
}

#[test]
fn missing_exec_entry_is_a_missing_path() {
    let plan = cat_with(vec![grant(
        "/usr/bin/sshgate-no-such-tool",
        Access::Execute,
        GrantOrigin::Policy,
    )]);
    assert!(matches!(
        resolve(&plan),
        Err(SandboxError::MissingPath { path }) if path == Path::new("/usr/bin/sshgate-no-such-tool")
    ));
}

#[test]
fn dot_dot_in_the_written_path_leaves_a_link_physically() {
    // alias -> real/a, so alias/.. is real, not dir: the kernel reaches
    // real/g (group-writable), not the trusted dir/g.
    let dir = tempfile::tempdir().unwrap();
    let real = make_dir(dir.path(), "real", 0o755);
    make_dir(&real, "a", 0o755);
    let untrusted = make_dir(&real, "g", 0o775);
    let trusted = make_dir(dir.path(), "g", 0o755);
    symlink("/", untrusted.join("x")).unwrap();
    symlink("/", trusted.join("x")).unwrap();
    symlink("real/a", dir.path().join("alias")).unwrap();

    let path = dir.path().join("alias/../g/x");
    let plan = cat_with(vec![policy(&path, Access::Read)]);
    let (link, why) = untrusted_link(resolve(&plan), &path);
    assert_eq!(link, path);
    assert!(
        why.starts_with(&format!("is in {},", untrusted.display())),
        "{why}"
    );
    let through = dir.path().join("alias/../g");
    assert_eq!(walked_id(&through).unwrap(), stat_id(&untrusted));
}

#[test]
fn a_missing_component_is_a_missing_path_wherever_it_is() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("file"), "x").unwrap();
    symlink("nothing-here", dir.path().join("dangling")).unwrap();
    symlink("file/below", dir.path().join("through-file")).unwrap();
    let cases = [
        dir.path().join("nothing-here/x"),
        dir.path().join("nothing-here"),
        dir.path().join("dangling"),
        dir.path().join("dangling/x"),
        dir.path().join("file/x"),
        dir.path().join("through-file"),
    ];
    for path in cases {
        let plan = cat_with(vec![policy(&path, Access::Read)]);
        match resolve(&plan) {
            Err(SandboxError::MissingPath { path: missing }) => assert_eq!(missing, path),
            other => panic!("{}: expected a missing path, got {other:?}", path.display()),
        }
    }
}

#[test]
fn the_descriptor_is_what_was_walked_even_if_the_path_changes() {
    // The Landlock rule is built from the walked descriptor: swapping
    // the path for a link afterwards changes nothing.
    let dir = tempfile::tempdir().unwrap();
    let data = make_dir(dir.path(), "data", 0o755);
    let plan = cat_with(vec![policy(&data, Access::Read)]);
    let resolved = resolve(&plan).unwrap();
    let walked = data.clone();
    let moved = dir.path().join("moved");
    fs::rename(&data, &moved).unwrap();
    symlink("/", &walked).unwrap();
    let opened = &resolved.opened()[1];
    assert!(opened.is_dir);
    assert_eq!(
        FileId::of(&metadata_of(&opened.fd).unwrap()),
        stat_id(&moved)
    );
}

#[test]
fn a_missing_writable_path_is_no_root() {
    let dir = tempfile::tempdir().unwrap();
    let data = make_dir(dir.path(), "data", 0o755);
    symlink("/etc", data.join("link")).unwrap();
    let mut plan = cat_with(vec![policy(&data.join("link"), Access::Read)]);
    plan.profile_writable = vec![dir.path().join("not-yet"), data.join("link/not-yet")];
    assert!(resolve(&plan).is_ok());
}

#[test]
fn write_beneath_an_exec_directory_is_refused() {
    // The review's repro: exec = [t1], write = [t1/up] let the command
    // upload t1/up/evil and run it.
    let dir = tempfile::tempdir().unwrap();
    let t1 = make_dir(dir.path(), "t1", 0o755);
    let up = make_dir(&t1, "up", 0o755);
    let deeper = make_dir(&up, "deeper", 0o755);
    let alias = dir.path().join("alias");
    symlink("t1/up", &alias).unwrap();
    let expected = |write: &Path| {
        format!(
            "writable {} is beneath executable {}: the command could execute what \
             it uploads",
            write.display(),
            t1.display()
        )
    };
    for write in [&up, &deeper, &alias] {
        let plan = cat_with(vec![
            policy(&t1, Access::Execute),
            policy(write, Access::ReadWrite),
        ]);
        let error = resolve(&plan).unwrap_err();
        assert!(
            matches!(error, SandboxError::WriteBeneathExec { .. }),
            "{error}"
        );
        assert_eq!(error.to_string(), expected(write));
    }

    // Another rule's write path counts too.
    let mut plan = cat_with(vec![policy(&t1, Access::Execute)]);
    plan.profile_writable = vec![up.clone()];
    assert_eq!(resolve(&plan).unwrap_err().to_string(), expected(&up));
}

#[test]
fn an_exec_directory_at_or_beneath_a_write_path_is_exec_beneath_write() {
    let dir = tempfile::tempdir().unwrap();
    let w = make_dir(dir.path(), "w", 0o755);
    let bin = make_dir(&w, "bin", 0o755);
    for exec in [&w, &bin] {
        let mut plan = cat_with(vec![policy(exec, Access::Execute)]);
        plan.profile_writable = vec![w.clone()];
        assert!(matches!(
            resolve(&plan),
            Err(SandboxError::ExecBeneathWrite { exec: e, write }) if e == *exec && write == w
        ));
    }
}

#[test]
fn exec_file_beside_a_write_path_is_allowed() {
    // Only a directory has anything beneath it; a write path next to an
    // exec file, or above nothing executable, is fine.
    let dir = tempfile::tempdir().unwrap();
    let bin = make_dir(dir.path(), "bin", 0o755);
    let out = make_dir(dir.path(), "out", 0o755);
    let cat = bin.join("cat");
    fs::copy("/usr/bin/cat", &cat).unwrap();
    let plan = cat_with(vec![
        policy(&cat, Access::Execute),
        policy(&out, Access::ReadWrite),
    ]);
    assert!(resolve(&plan).is_ok());
}

#[test]
fn a_nested_write_path_pointed_at_root_is_no_root() {
    // The review's repro: the command that may write w makes w/x -> /,
    // and w/x is another rule's write path. Before, every plan of the
    // profile then had "/" as a writable root.
    let dir = tempfile::tempdir().unwrap();
    let w = make_dir(dir.path(), "w", 0o755);
    symlink("/", w.join("x")).unwrap();
    let mut plan = cat_with(Vec::new());
    plan.profile_writable = vec![w.clone(), w.join("x")];
    assert!(resolve(&plan).is_ok());

    // The rule that writes w/x is refused by its own walk.
    let mut own = cat_with(vec![policy(&w.join("x"), Access::ReadWrite)]);
    own.profile_writable = plan.profile_writable.clone();
    let (link, why) = untrusted_link(resolve(&own), &w.join("x"));
    assert_eq!(link, w.join("x"));
    assert_eq!(
        why,
        format!("lies beneath the writable path {}", w.display())
    );
}

#[test]
fn a_write_path_through_a_link_planted_in_another_is_no_root() {
    // Not written beneath w, so step 1 does not drop it: b -> w/x is a
    // trusted link, but w/x -> / lies in w.
    let dir = tempfile::tempdir().unwrap();
    let w = make_dir(dir.path(), "w", 0o755);
    symlink("/", w.join("x")).unwrap();
    symlink("w/x", dir.path().join("b")).unwrap();
    let mut plan = cat_with(Vec::new());
    plan.profile_writable = vec![dir.path().join("b"), w.clone()];
    assert!(resolve(&plan).is_ok());
}

#[test]
fn a_write_path_that_loops_inside_another_is_no_root() {
    let dir = tempfile::tempdir().unwrap();
    let w = make_dir(dir.path(), "w", 0o755);
    symlink("../w/x", w.join("x")).unwrap();
    symlink("w/x", dir.path().join("b")).unwrap();
    let mut plan = cat_with(Vec::new());
    plan.profile_writable = vec![w.clone(), w.join("x"), dir.path().join("b")];
    assert!(resolve(&plan).is_ok());
}

#[test]
fn a_link_to_an_ancestor_loses_to_the_root_it_was_planted_in() {
    // alias -> data (a trusted link in dir); A = alias/w ends in data/w.
    // C = data/w/x -> dir. A's link lies in dir, which C would make
    // writable; C's link lies in data/w, which is A: each follows a link
    // beneath the other. The deeper end, A, is kept, so dir is not
    // writable and reading through alias still works.
    let dir = tempfile::tempdir().unwrap();
    let data = make_dir(dir.path(), "data", 0o755);
    let w = make_dir(&data, "w", 0o755);
    symlink(dir.path(), w.join("x")).unwrap();
    let alias = dir.path().join("alias");
    symlink("data", &alias).unwrap();
    let mut plan = cat_with(vec![policy(&alias.join("w"), Access::Read)]);
    plan.profile_writable = vec![w.join("x"), alias.join("w")];
    assert!(resolve(&plan).is_ok(), "{:?}", resolve(&plan).err());
}

#[test]
fn a_write_path_failing_outside_every_root_is_an_error_for_the_plan_granting_it() {
    // Nobody's command controls shared/link; the administrator must fix it
    // before the rule that writes it can run.
    let dir = tempfile::tempdir().unwrap();
    let shared = make_dir(dir.path(), "shared", 0o775);
    let link = shared.join("link");
    symlink("/srv", &link).unwrap();
    let mut plan = cat_with(vec![policy(&link, Access::ReadWrite)]);
    plan.profile_writable = vec![link.clone()];
    let (refused, why) = untrusted_link(resolve(&plan), &link);
    assert_eq!(refused, link);
    assert_eq!(
        why,
        format!(
            "is in {}, which is group-writable (mode 0775)",
            shared.display()
        )
    );
}

#[test]
fn another_rules_write_path_that_fails_stands_in_by_the_directory_reached() {
    // Whoever may write shared could have pointed link anywhere; the other
    // rules go on, with shared itself counted as writable.
    let dir = tempfile::tempdir().unwrap();
    let shared = make_dir(dir.path(), "shared", 0o775);
    let link = shared.join("link");
    symlink("/srv", &link).unwrap();
    let tool = make_executable(&shared, "tool", "#!/bin/sh\n");
    let mut plan = cat_with(Vec::new());
    plan.profile_writable = vec![link.clone()];
    assert!(resolve(&plan).is_ok(), "{:?}", resolve(&plan).err());

    let mut plan = cat_with(vec![policy(&tool, Access::Execute)]);
    plan.profile_writable = vec![link.clone()];
    assert!(matches!(
        resolve(&plan),
        Err(SandboxError::ExecBeneathWrite { exec, write }) if exec == tool && write == shared
    ));

    // Each `..` left to walk raises the stand-in by one directory: a -> l
    // is trusted, but its target stops at the untrusted g/up with two
    // `..` to go, so dir (two above g) stands in, not g.
    let a = make_dir(dir.path(), "a", 0o755);
    let g = make_dir(&a, "g", 0o775);
    symlink("/srv", g.join("up")).unwrap();
    symlink("g/up/../..", a.join("l")).unwrap();
    let tool = make_executable(dir.path(), "tool", "#!/bin/sh\n");
    let mut plan = cat_with(vec![policy(&tool, Access::Execute)]);
    plan.profile_writable = vec![a.join("l")];
    let error = resolve(&plan).unwrap_err();
    assert!(
        matches!(&error, SandboxError::ExecBeneathWrite { write, .. } if write == dir.path()),
        "{error:?}"
    );
}

#[test]
fn a_hard_linked_exec_file_on_a_writable_filesystem_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bin = make_dir(dir.path(), "bin", 0o755);
    let w = make_dir(dir.path(), "w", 0o755);
    let tool = bin.join("cat");
    fs::copy("/usr/bin/cat", &tool).unwrap();
    fs::hard_link(&tool, w.join("cat")).unwrap();
    let plan = cat_with(vec![
        policy(&tool, Access::Execute),
        policy(&w, Access::ReadWrite),
    ]);
    let error = resolve(&plan).unwrap_err();
    assert!(
        matches!(error, SandboxError::ExecHardLinked { links: 2, .. }),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "executable {} has 2 hard links and is on the same filesystem as writable {}: \
             the command could rewrite it through another link",
            tool.display(),
            w.display()
        )
    );

    // The program too.
    let plan = plan_for(
        &tool,
        vec![
            grant(
                tool.to_str().unwrap(),
                Access::Execute,
                GrantOrigin::Program,
            ),
            policy(&w, Access::ReadWrite),
        ],
    );
    assert!(matches!(
        resolve(&plan),
        Err(SandboxError::ExecHardLinked { exec, .. }) if exec == tool
    ));

    // Without a writable path, a hard link is nobody's to rewrite.
    let plan = cat_with(vec![policy(&tool, Access::Execute)]);
    assert!(resolve(&plan).is_ok());
}

/// A plan running cat from `chdir`.
fn cat_in(chdir: &Path) -> Plan {
    let mut plan = cat_with(Vec::new());
    plan.chdir = chdir.to_path_buf();
    plan
}

#[test]
fn the_working_directory_is_walked_and_opened() {
    let dir = tempfile::tempdir().unwrap();
    let data = make_dir(dir.path(), "data", 0o755);
    let alias = dir.path().join("alias");
    symlink("data", &alias).unwrap();
    let resolved = resolve(&cat_in(&alias)).unwrap();
    assert_eq!(
        FileId::of(&metadata_of(resolved.working_directory()).unwrap()),
        stat_id(&data)
    );
}

#[test]
fn a_missing_working_directory_says_to_set_chdir() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("nowhere");
    let error = resolve(&cat_in(&nowhere)).unwrap_err();
    assert!(
        matches!(error, SandboxError::MissingChdir { .. }),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "chdir {} does not exist (the policy's `chdir`, or the home directory of the account when it sets none)",
            nowhere.display()
        )
    );
}

#[test]
fn a_working_directory_through_a_planted_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let w = make_dir(dir.path(), "w", 0o755);
    let start = w.join("start");
    symlink("/etc", &start).unwrap();
    let mut plan = cat_in(&start);
    plan.profile_writable = vec![w.clone()];
    let error = resolve(&plan).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "chdir {s} goes through symlink {s}, which lies beneath the writable path {w}; \
             write the real path",
            s = start.display(),
            w = w.display()
        )
    );
}

#[test]
fn a_working_directory_that_is_no_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    fs::write(&file, "x").unwrap();
    for (chdir, why) in [
        (file.clone(), "Not a directory (os error 20)"),
        (PathBuf::from("relative"), "not an absolute path"),
    ] {
        let error = resolve(&cat_in(&chdir)).unwrap_err();
        assert!(matches!(error, SandboxError::OpenChdir { .. }), "{error}");
        assert_eq!(
            error.to_string(),
            format!("cannot open chdir {}: {why}", chdir.display())
        );
    }
}

#[test]
fn the_command_starts_where_the_walk_ended_even_if_the_path_changes() {
    let dir = tempfile::tempdir().unwrap();
    let data = make_dir(dir.path(), "data", 0o755);
    let resolved = resolve(&cat_in(&data)).unwrap();
    let moved = dir.path().join("moved");
    fs::rename(&data, &moved).unwrap();
    symlink("/etc", &data).unwrap();
    let moved_id = stat_id(&moved);
    // The working directory is per process: change it in a child.
    let code = crate::sandbox::testing::run_in_child(|| {
        if crate::sandbox::change_directory(resolved.working_directory(), &data).is_err() {
            return 1;
        }
        match fs::metadata(".") {
            Ok(metadata) if FileId::of(&metadata) == moved_id => 0,
            _ => 2,
        }
    });
    assert_eq!(code, 0);
}
