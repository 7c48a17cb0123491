//! Escape scenario: an allowed command reaches a TCP service, on this host
//! or elsewhere. With the default `network = "none"`, seccomp refuses
//! `socket(2)` itself; with `network = { connect = [..] }`, TCP sockets can
//! be made but Landlock (ABI 4 and later) lets them connect to exactly the
//! listed ports.

mod common;

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};

use common::gate::{Scenario, stderr};

const POLICY: &str = r#"
log = "{log}"

[[allow]]
name = "bash"
command = ["/usr/bin/bash", "-c", { regex = ".*" }]
"#;

#[test]
fn no_socket_can_be_made_by_default() {
    let (listener, port) = listener();
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
            "/usr/bin/bash: socket: Operation not permitted\n\
             /usr/bin/bash: line 1: /dev/tcp/127.0.0.1/{port}: Operation not permitted\n"
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

/// A listener on 127.0.0.1 and its port.
fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// A policy whose bash may connect to `ports` only.
fn connect_policy(ports: &[u16]) -> Scenario {
    Scenario::new(&format!(
        "log = \"{{log}}\"\n[sandbox]\nnetwork = {{ connect = {ports:?} }}\n\
         [[allow]]\nname = \"bash\"\ncommand = [\"/usr/bin/bash\", \"-c\", {{ regex = \".*\" }}]\n"
    ))
}

#[test]
fn a_listed_port_can_be_reached() {
    let (listener, port) = listener();
    let scenario = connect_policy(&[port]);
    let output = scenario.run(Some(&format!(
        "bash -c 'echo hello > /dev/tcp/127.0.0.1/{port}'"
    )));
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let (mut stream, _) = listener.accept().unwrap();
    let mut received = String::new();
    std::io::Read::read_to_string(&mut stream, &mut received).unwrap();
    assert_eq!(received, "hello\n");
}

#[test]
fn a_port_not_listed_is_denied_by_landlock() {
    let (listener, port) = listener();
    let (_other, other_port) = self::listener();
    let scenario = connect_policy(&[other_port]);
    let output = scenario.run(Some(&format!("bash -c 'echo > /dev/tcp/127.0.0.1/{port}'")));
    let text = stderr(&output);
    // EACCES at connect(2), not EPERM at socket(2): the socket was allowed,
    // the port was not.
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
fn network_any_leaves_tcp_unrestricted() {
    let (listener, port) = listener();
    let scenario = Scenario::new(
        "log = \"{log}\"\n[sandbox]\nnetwork = \"any\"\n\
         [[allow]]\nname = \"bash\"\ncommand = [\"/usr/bin/bash\", \"-c\", { regex = \".*\" }]\n",
    );
    let output = scenario.run(Some(&format!(
        "bash -c 'echo any > /dev/tcp/127.0.0.1/{port}'"
    )));
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert!(listener.accept().is_ok());
    let record = &scenario.records()[0];
    assert_eq!(record["decision"], "allow");
}
