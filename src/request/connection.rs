//! `SSH_CONNECTION` and `SSH_CLIENT`, as sshd sets them.

use std::net::IpAddr;

use serde::Serialize;

use crate::policy::normalise_address;

/// One end of the TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// Address, with IPv4-mapped IPv6 turned into IPv4.
    pub address: IpAddr,
    /// Port.
    pub port: u16,
}

/// The client and server ends of the SSH connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Where the client connected from.
    pub client: Endpoint,
    /// The server address, when `SSH_CONNECTION` gave it.
    pub server_address: Option<IpAddr>,
    /// The server port.
    pub server_port: u16,
    /// `SSH_CONNECTION` as sshd set it, passed on to the command.
    pub ssh_connection: Option<String>,
    /// `SSH_CLIENT` as sshd set it, passed on to the command.
    pub ssh_client: Option<String>,
}

impl Connection {
    /// Parses `SSH_CONNECTION` ("client port server port"), or, when it is
    /// unset, the older `SSH_CLIENT` ("client port server-port"). Values
    /// that do not parse are treated as absent: the address is then
    /// unknown, and a profile with `from` denies. A malformed
    /// `SSH_CONNECTION` is not passed over for `SSH_CLIENT`: sshd sets both
    /// from the same socket, so an environment in which one does not parse
    /// is not sshd's, and the other is no more to be trusted.
    pub fn from_env_values(ssh_connection: Option<&str>, ssh_client: Option<&str>) -> Option<Self> {
        let parsed = match ssh_connection {
            Some(value) => parse_ssh_connection(value),
            None => ssh_client.and_then(parse_ssh_client),
        }?;
        let (client, server_address, server_port) = parsed;
        Some(Self {
            client,
            server_address,
            server_port,
            ssh_connection: ssh_connection
                .filter(|v| parse_ssh_connection(v).is_some())
                .map(str::to_owned),
            ssh_client: ssh_client
                .filter(|v| parse_ssh_client(v).is_some())
                .map(str::to_owned),
        })
    }

    /// A connection known only by its client address, as `explain
    /// --from` gives it: no ports, and nothing for the command's
    /// `SSH_CONNECTION` or `SSH_CLIENT`.
    pub fn from_client_address(address: IpAddr) -> Self {
        Self {
            client: Endpoint {
                address: normalise_address(address),
                port: 0,
            },
            server_address: None,
            server_port: 0,
            ssh_connection: None,
            ssh_client: None,
        }
    }
}

fn parse_address(text: &str) -> Option<IpAddr> {
    text.parse().ok().map(normalise_address)
}

fn parse_ssh_connection(value: &str) -> Option<(Endpoint, Option<IpAddr>, u16)> {
    let fields: Vec<&str> = value.split(' ').collect();
    let [client, client_port, server, server_port] = fields.as_slice() else {
        return None;
    };
    Some((
        Endpoint {
            address: parse_address(client)?,
            port: client_port.parse().ok()?,
        },
        Some(parse_address(server)?),
        server_port.parse().ok()?,
    ))
}

fn parse_ssh_client(value: &str) -> Option<(Endpoint, Option<IpAddr>, u16)> {
    let fields: Vec<&str> = value.split(' ').collect();
    let [client, client_port, server_port] = fields.as_slice() else {
        return None;
    };
    Some((
        Endpoint {
            address: parse_address(client)?,
            port: client_port.parse().ok()?,
        },
        None,
        server_port.parse().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_ssh_connection_and_normalises_mapped_addresses() {
        let connection = Connection::from_env_values(
            Some("::ffff:192.0.2.7 50000 192.0.2.1 22"),
            Some("198.51.100.1 1 22"),
        )
        .unwrap();
        assert_eq!(
            connection.client.address,
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(connection.client.port, 50000);
        assert_eq!(connection.server_port, 22);
    }

    #[test]
    fn falls_back_to_ssh_client() {
        let connection = Connection::from_env_values(None, Some("2001:db8::5 41000 2222")).unwrap();
        assert_eq!(
            connection.client.address,
            "2001:db8::5".parse::<IpAddr>().unwrap()
        );
        assert_eq!(connection.server_address, None);
        assert_eq!(connection.server_port, 2222);
    }

    #[test]
    fn a_malformed_ssh_connection_is_not_passed_over_for_ssh_client() {
        assert_eq!(
            Connection::from_env_values(Some("garbage"), Some("192.0.2.10 50022 22")),
            None
        );
    }

    #[test]
    fn malformed_values_mean_unknown() {
        assert_eq!(Connection::from_env_values(Some("garbage"), None), None);
        assert_eq!(
            Connection::from_env_values(Some("1.2.3.4 x 5.6.7.8 22"), Some("1.2.3.4 22")),
            None
        );
        assert_eq!(Connection::from_env_values(None, None), None);
    }
}
