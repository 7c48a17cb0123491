//! Escape scenario: an allowed command reaches a TCP service, on this host
//! or elsewhere. With the default `network = "none"`, Landlock denies every
//! TCP connect and bind (ABI 4 and later).

mod common;

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::path::Path;

use common::gate::{Scenario, stderr};

const POLICY: &str = r#"
log = "{log}"

[[allow]]
name = "bash"
command = ["/usr/bin/bash", "-c", { regex = ".*" }]

[[allow]]
name = "python"
command = ["/usr/bin/python3", "-c", { regex = ".*" }]
"#;

#[test]
fn tcp_connect_is_denied() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Control: unconfined, the listener is reachable.
    drop(TcpStream::connect(("127.0.0.1", port)).expect("unconfined connect"));
    drop(listener.accept().unwrap());

    // bash opens /dev/tcp/HOST/PORT itself, with socket(2) and connect(2).
    let scenario = Scenario::new(POLICY);
    let output = scenario.run(Some(&format!("bash -c 'echo > /dev/tcp/127.0.0.1/{port}'")));

    // Started with SSH_CLIENT set, Debian's bash also tries to read its rc
    // files first, which Landlock refuses; only the end is the connect.
    let text = stderr(&output);
    assert!(
        text.ends_with(&format!(
            "/usr/bin/bash: connect: Permission denied\n\
             /usr/bin/bash: line 1: /dev/tcp/127.0.0.1/{port}: Permission denied\n"
        )),
        "stderr: {text}"
    );
    assert_eq!(output.status.code(), Some(1));
    listener.set_nonblocking(true).unwrap();
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "a confined connection arrived"
    );
}

#[test]
fn tcp_bind_is_denied() {
    if !Path::new("/usr/bin/python3").exists() {
        eprintln!("skipped: /usr/bin/python3 is missing");
        return;
    }
    let scenario = Scenario::new(POLICY);
    let output = scenario.run(Some(
        r#"python3 -c 'import socket; socket.socket().bind(("127.0.0.1", 0))'"#,
    ));
    let text = stderr(&output);
    assert!(
        text.ends_with("PermissionError: [Errno 13] Permission denied\n"),
        "stderr: {text}"
    );
    assert_eq!(output.status.code(), Some(1));
}
