//! Where deliveries may go: http(s) URLs whose addresses are public, unless the operator allows a
//! host or network in `RMDESK_WEBHOOK_ALLOWED_HOSTS` (comma-separated host names or CIDRs). A
//! stolen admin token must not turn rmdesk into a probe of the bank's internal network (SSRF), so
//! the check is made on the addresses a name resolves to, at delivery time, and those addresses
//! are the ones connected to (no second lookup to rebind).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use ipnet::IpNet;

#[derive(Debug, Clone, Default)]
pub struct Guard {
    hosts: Vec<String>,
    networks: Vec<IpNet>,
}

impl Guard {
    /// Parses `RMDESK_WEBHOOK_ALLOWED_HOSTS`: `hooks.bank.internal,10.20.0.0/16,127.0.0.1`.
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        let mut guard = Guard::default();
        for entry in value
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            if let Ok(net) = entry.parse::<IpNet>() {
                guard.networks.push(net);
            } else if let Ok(ip) = entry.parse::<IpAddr>() {
                guard.networks.push(IpNet::from(ip));
            } else if entry.contains('/') || entry.contains(' ') {
                return Err(format!(
                    "RMDESK_WEBHOOK_ALLOWED_HOSTS: {entry:?} is neither a host name nor a CIDR"
                ));
            } else {
                guard.hosts.push(entry.to_ascii_lowercase());
            }
        }
        Ok(guard)
    }

    /// Checks a subscription's URL as written: http or https, a host, no credentials, and not an
    /// address literal that is not allowed. Names are checked again when they are resolved.
    pub fn check_url(&self, url: &str) -> Result<url::Url, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("only http and https URLs receive webhooks".into());
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err("credentials do not belong in the URL; deliveries are signed".into());
        }
        match parsed.host() {
            None => return Err("the URL has no host".into()),
            Some(url::Host::Domain(name)) => {
                if self.allows_name(name) {
                    return Ok(parsed);
                }
                if name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost") {
                    return Err(refused(name));
                }
            }
            Some(url::Host::Ipv4(ip)) => self
                .check_ip(IpAddr::V4(ip))
                .map_err(|_| refused(&ip.to_string()))?,
            Some(url::Host::Ipv6(ip)) => self
                .check_ip(IpAddr::V6(ip))
                .map_err(|_| refused(&ip.to_string()))?,
        }
        Ok(parsed)
    }

    fn allows_name(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&name)
    }

    fn check_ip(&self, ip: IpAddr) -> Result<(), ()> {
        if self.networks.iter().any(|n| n.contains(&ip)) || is_public(ip) {
            Ok(())
        } else {
            Err(())
        }
    }

    /// Resolves `host:port` (as the HTTP client asks) to the addresses it may connect to.
    pub fn resolve(&self, netloc: &str) -> std::io::Result<Vec<SocketAddr>> {
        let host = match netloc.rsplit_once(':') {
            Some((host, _)) => host.trim_start_matches('[').trim_end_matches(']'),
            None => netloc,
        };
        let all: Vec<SocketAddr> = netloc.to_socket_addrs()?.collect();
        if self.allows_name(host) {
            return Ok(all);
        }
        let allowed: Vec<SocketAddr> = all
            .into_iter()
            .filter(|a| self.check_ip(a.ip()).is_ok())
            .collect();
        if allowed.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                refused(host),
            ));
        }
        Ok(allowed)
    }
}

fn refused(host: &str) -> String {
    format!(
        "{host} is a loopback, private or reserved address; allow it in RMDESK_WEBHOOK_ALLOWED_HOSTS"
    )
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (CGNAT), reserved, documentation, multicast or unspecified, in either family.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                || first == 0x0064 && v6.segments()[1] == 0xff9b)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_reserved_addresses_are_refused_by_default() {
        let guard = Guard::default();
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:9000/",
            "http://0.0.0.0/",
        ] {
            assert!(guard.check_url(url).is_err(), "{url}");
        }
        assert!(guard.check_url("https://93.184.216.34/hook").is_ok());
        assert!(guard.check_url("https://hooks.example.com/x").is_ok());
    }

    #[test]
    fn only_http_and_https_without_credentials() {
        let guard = Guard::default();
        assert!(guard.check_url("ftp://example.com/").is_err());
        assert!(guard.check_url("file:///etc/passwd").is_err());
        assert!(guard.check_url("https://user:pw@example.com/").is_err());
        assert!(guard.check_url("not a url").is_err());
    }

    #[test]
    fn the_operator_allows_hosts_and_networks() {
        let guard = Guard::parse(Some("127.0.0.1, 10.20.0.0/16,hooks.bank.internal")).unwrap();
        assert!(guard.check_url("http://127.0.0.1:9000/").is_ok());
        assert!(guard.check_url("http://10.20.3.4/").is_ok());
        assert!(guard.check_url("http://10.21.3.4/").is_err());
        assert!(guard.check_url("http://hooks.bank.internal/x").is_ok());
        assert!(guard.resolve("127.0.0.1:9000").is_ok());
        assert!(Guard::default().resolve("127.0.0.1:9000").is_err());
        assert!(Guard::parse(Some("10.0.0.0/99")).is_err());
    }
}
