//! Which addresses are public: the one rule of where the fetcher may connect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Is `ip` an address on the public Internet? Not: unspecified, loopback, private (RFC 1918,
/// unique local), shared (CGNAT, 100.64/10), link-local, multicast, broadcast, documentation,
/// benchmarking, reserved (240/4, 0/8), IETF protocol assignments (192.0.0/24, 2001::/23
/// with Teredo), 6to4 relays, discard-only and site-local; and an IPv6 address that carries an
/// IPv4 one (mapped, compatible, NAT64, 6to4) is judged by the IPv4 address it carries. Only
/// global unicast IPv6 (2000::/3) is public at all.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0                                     // "this network", 0.0.0.0
        || a == 10                               // private
        || a == 127                              // loopback
        || (a == 100 && (64..128).contains(&b))  // shared address space (CGNAT)
        || (a == 169 && b == 254)                // link-local
        || (a == 172 && (16..32).contains(&b))   // private
        || (a == 192 && b == 0 && c == 0)        // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)        // documentation
        || (a == 192 && b == 88 && c == 99)      // 6to4 relays
        || (a == 192 && b == 168)                // private
        || (a == 198 && (18..20).contains(&b))   // benchmarking
        || (a == 198 && b == 51 && c == 100)     // documentation
        || (a == 203 && b == 0 && c == 113)      // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let global_unicast = (s[0] & 0xe000) == 0x2000;
    global_unicast
        && !(s[0] == 0x2001 && s[1] < 0x0200)   // IETF protocol assignments, Teredo
        && !(s[0] == 0x2001 && s[1] == 0x0db8)  // documentation
        && !(s[0] == 0x3fff && s[1] < 0x1000) // documentation (3fff::/20)
}

/// The IPv4 address an IPv6 address stands for, if it is one of the forms that carry one:
/// IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, deprecated), NAT64
/// (`64:ff9b::a.b.c.d`, and the local-use `64:ff9b:1::/48`) and 6to4 (`2002:aabb:ccdd::/48`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        // `::` and `::1` are judged as IPv6 (unspecified, loopback): not public either way.
        [0, 0, 0, 0, 0, 0, _, _] if ip.segments()[6] != 0 => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        // Local-use NAT64 may lead anywhere inside: judged by a private address.
        [0x64, 0xff9b, 1, ..] => Some(Ipv4Addr::new(10, 0, 0, 0)),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)),
        _ => None,
    }
}

/// The address a range is matched against: an IPv4-mapped IPv6 address as its IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A range of addresses in CIDR form (`127.0.0.0/8`, `fd00::/8`; an address alone is a range
/// of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    base: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, ip) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(base) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(base) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpRange {
    type Err = String;

    fn from_str(s: &str) -> Result<IpRange, String> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s.trim(), None),
        };
        let base = canonical(IpAddr::from_str(addr).map_err(|_| format!("{s:?} is not an address range"))?);
        let bits = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= bits).ok_or(format!("{s:?} has a bad prefix length"))?,
            None => bits,
        };
        Ok(IpRange { base, prefix })
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn public_addresses_are_told_from_every_other_kind() {
        for ok in ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:82a::200e"] {
            assert!(public(ok), "{ok} is public");
        }
        for bad in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "127.0.0.1",
            "127.255.255.254",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "fec0::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
            "3fff::1",
        ] {
            assert!(!public(bad), "{bad} is not public");
        }
        assert!(public("::ffff:8.8.8.8"), "a mapped public address is public");
        assert!(public("2002:0808:0808::1"), "6to4 of a public address is public");
        assert!(public("64:ff9b::808:808"), "NAT64 of a public address is public");
        assert!(public("100.128.0.1"));
        assert!(public("172.32.0.1"));
    }

    #[test]
    fn ranges_contain_what_their_prefix_covers() {
        let loopback: IpRange = "127.0.0.0/8".parse().unwrap();
        assert!(loopback.contains("127.3.2.1".parse().unwrap()));
        assert!(!loopback.contains("128.0.0.1".parse().unwrap()));
        assert!(loopback.contains(canonical("::ffff:127.0.0.1".parse().unwrap())));
        let one: IpRange = "10.1.2.3".parse().unwrap();
        assert!(one.contains("10.1.2.3".parse().unwrap()) && !one.contains("10.1.2.4".parse().unwrap()));
        let v6: IpRange = "fd00::/8".parse().unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()) && !v6.contains("fe80::1".parse().unwrap()));
        let all: IpRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
        assert!("intranet".parse::<IpRange>().is_err());
    }
}
