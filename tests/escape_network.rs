//! Escape scenario: an allowed command talks to a network service, on this
//! host (a database, a metadata endpoint, a local admin API) or beyond.
//!
//! - With the default `network = "none"`, seccomp refuses `socket(2)`
//!   itself for every family, so TCP (IPv4 and IPv6) and UDP fail with
//!   EPERM before any socket exists.
//! - With `network = { connect = [PORT] }`, seccomp allows TCP sockets and
//!   Landlock decides each connect by port: another port fails with EACCES
//!   at `connect(2)`, the granted one connects. UDP stays refused by
//!   seccomp (EPERM at `socket(2)`): Landlock cannot limit it, so ports
//!   grant TCP only. So do other stream protocols that Landlock's TCP
//!   rights do not cover: MPTCP (which falls back to plain TCP with any
//!   listener) would connect to any port. Netlink, packet and vsock
//!   sockets are refused too.
//! - Two TCP paths that Landlock's hooks miss are refused by seccomp under
//!   ports: TCP Fast Open (`sendto` with `MSG_FASTOPEN` connects without
//!   `connect(2)`), and, when no `bind` port is granted, `listen(2)` (on an
//!   unbound socket it binds an ephemeral port without `bind(2)`).

mod common;

use std::io::{ErrorKind, Read};
use std::net::{TcpListener, UdpSocket};
use std::time::Duration;

use common::gate::Scenario;
use common::probe::{self, attempt, unconfined};

/// The probe rule with TCP connect granted to `port` only.
fn connecting_to(port: u16) -> Scenario {
    probe::scenario(
        &r#"
log = "{log}"
[sandbox]
network = { connect = [{port}] }

[[allow]]
name = "probe"
command = ["{probe}"]
trailing_args = true
"#
        .replace("{port}", &port.to_string()),
    )
}

/// A TCP listener on 127.0.0.1 and its port.
fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    (listener, port)
}

/// Asserts that no connection is waiting on `listener`.
fn assert_nothing_arrived(listener: &TcpListener) {
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "a confined connection arrived"
    );
}

/// A UDP socket on 127.0.0.1 that gives up reading after a moment, and its
/// port.
fn udp_receiver() -> (UdpSocket, u16) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

#[test]
fn by_default_no_socket_can_be_made() {
    let (listener, port) = listener();
    let scenario = probe::scenario(probe::POLICY);
    let port = port.to_string();
    assert_eq!(attempt(&scenario, &["tcp4", &port]), "err socket EPERM");
    assert_eq!(attempt(&scenario, &["tcp6", &port]), "err socket EPERM");
    assert_eq!(attempt(&scenario, &["udp4", &port]), "err socket EPERM");
    assert_nothing_arrived(&listener);
}

#[test]
fn the_unconfined_probe_reaches_both_services() {
    // Control: the listeners are reachable and the receiver would see a
    // datagram, so "nothing arrived" below means the gate stopped it.
    let (listener, port) = listener();
    assert_eq!(unconfined(&["tcp4", &port.to_string()]), "ok");
    listener.set_nonblocking(false).unwrap();
    drop(listener.accept().unwrap());

    let (receiver, port) = udp_receiver();
    assert_eq!(unconfined(&["udp4", &port.to_string()]), "ok");
    let mut buffer = [0u8; 64];
    let (len, _) = receiver.recv_from(&mut buffer).unwrap();
    assert_eq!(&buffer[..len], b"sshgate-escape-probe");
}

#[test]
fn a_port_not_granted_is_refused_by_landlock() {
    let (listener, port) = listener();
    let (_other, other_port) = self::listener();
    let scenario = connecting_to(other_port);
    // The socket is made (seccomp allows TCP now); the connect is refused.
    assert_eq!(
        attempt(&scenario, &["tcp4", &port.to_string()]),
        "err connect EACCES"
    );
    assert_eq!(
        attempt(&scenario, &["tcp6", &port.to_string()]),
        "err connect EACCES"
    );
    assert_nothing_arrived(&listener);
}

#[test]
fn the_granted_port_connects() {
    let (listener, port) = listener();
    let scenario = connecting_to(port);
    assert_eq!(attempt(&scenario, &["tcp4", &port.to_string()]), "ok");
    listener.set_nonblocking(false).unwrap();
    let (mut stream, _) = listener.accept().expect("the granted connection");
    // The probe connected and closed without writing.
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

#[test]
fn udp_stays_refused_when_tcp_ports_are_granted() {
    let (receiver, port) = udp_receiver();
    let scenario = connecting_to(port);
    assert_eq!(
        attempt(&scenario, &["udp4", &port.to_string()]),
        "err socket EPERM"
    );
    let mut buffer = [0u8; 64];
    let error = receiver.recv_from(&mut buffer).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "a datagram arrived: {error}"
    );
}

#[test]
fn mptcp_cannot_go_around_the_granted_ports() {
    // Control: MPTCP falls back to TCP, so it reaches a plain TCP listener.
    let (listener, port) = listener();
    assert_eq!(unconfined(&["mptcp4", &port.to_string()]), "ok");
    listener.set_nonblocking(false).unwrap();
    drop(listener.accept().unwrap());
    listener.set_nonblocking(true).unwrap();

    // Landlock's TCP rights would not stop it; seccomp does, at socket().
    let (_other, other_port) = self::listener();
    let scenario = connecting_to(other_port);
    assert_eq!(
        attempt(&scenario, &["mptcp4", &port.to_string()]),
        "err socket EPERM"
    );
    // Not even to the granted port: ports grant TCP only.
    let scenario = connecting_to(port);
    assert_eq!(
        attempt(&scenario, &["mptcp4", &port.to_string()]),
        "err socket EPERM"
    );
    assert_nothing_arrived(&listener);
}

#[test]
fn other_socket_families_stay_refused_when_tcp_ports_are_granted() {
    let families = [
        // family, type, protocol: a netlink route socket, a raw packet
        // socket of every protocol, a vsock stream.
        (
            "netlink",
            libc::AF_NETLINK,
            libc::SOCK_RAW,
            libc::NETLINK_ROUTE,
        ),
        (
            "packet",
            libc::AF_PACKET,
            libc::SOCK_RAW,
            i32::from((libc::ETH_P_ALL as u16).to_be()),
        ),
        ("vsock", libc::AF_VSOCK, libc::SOCK_STREAM, 0),
    ];
    let (_listener, port) = listener();
    let scenario = connecting_to(port);
    for (name, family, kind, protocol) in families {
        let args = [
            "socket".to_owned(),
            family.to_string(),
            kind.to_string(),
            protocol.to_string(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // Control: the kernel offers each to this (root) user.
        if nix::unistd::geteuid().is_root() {
            assert_eq!(unconfined(&args), "ok", "{name}");
        }
        assert_eq!(attempt(&scenario, &args), "err socket EPERM", "{name}");
    }
}

#[test]
fn tcp_fast_open_cannot_reach_a_port_not_granted() {
    let (listener, port) = listener();
    // Control: unconfined, the fast-open send connects.
    assert_eq!(unconfined(&["fastopen4", &port.to_string()]), "ok");
    listener.set_nonblocking(false).unwrap();
    drop(
        listener
            .accept()
            .expect("the unconfined fast-open connection"),
    );
    listener.set_nonblocking(true).unwrap();

    let (_other, other_port) = self::listener();
    let scenario = connecting_to(other_port);
    // Landlock alone let this connect (Linux 6.18, ABI 7).
    assert_eq!(
        attempt(&scenario, &["fastopen4", &port.to_string()]),
        "err sendto EPERM"
    );
    assert_nothing_arrived(&listener);
}

#[test]
fn listening_without_a_bind_port_is_refused() {
    let (_other, other_port) = self::listener();
    let scenario = connecting_to(other_port);
    // Landlock alone let the kernel bind an ephemeral port on every
    // address and accept a connection from outside the sandbox.
    assert_eq!(attempt(&scenario, &["listen4"]), "err listen EPERM");
}
