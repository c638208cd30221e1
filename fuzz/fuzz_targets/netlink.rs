//! The netlink decoders (rtnetlink: links, VFs, bridge tables; and
//! devlink's over generic netlink):
//! truncated, misaligned or unknown attributes in any bytes never panic or
//! read past the buffer.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vfnet::{devlink, neigh, netlink};

fuzz_target!(|data: &[u8]| {
    for (_, payload) in netlink::attrs(data) {
        assert!(payload.len() <= data.len());
    }
    let _ = netlink::parse_link(data);
    let _ = netlink::parse_vf_info(data);
    let _ = devlink::parse_family(data);
    let _ = devlink::parse_eswitch(data);
    let _ = neigh::parse_fdb(data);
    let _ = neigh::parse_iface(data);
    for (_, reply) in netlink::replies(data) {
        if let netlink::Reply::Msg(_, body) = reply {
            let _ = netlink::parse_link(body);
            let _ = devlink::parse_eswitch(body);
            let _ = neigh::parse_fdb(body);
            let _ = neigh::parse_iface(body);
        }
    }
});
