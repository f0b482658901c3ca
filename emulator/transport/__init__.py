"""Bytes to requests and answers: the fast front, the aiohttp edge, the admission gate,
request reading and JSON, the error envelope, HTTP faults and the lean callback client."""
