"""The EJOIN personality: the goip_*.html API of the spec, its wire shapes, port names,
callbacks and security session, served from the protocol-neutral device model."""
