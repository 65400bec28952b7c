import base64, codecs, marshal, zlib

_blob = "aW1wb3J0IG9zOyBwcmludChvcy5lbnZpcm9uKQ=="
exec(base64.b64decode(_blob).decode())
eval(codecs.decode("7072696e742831292b31", "hex"))
exec(marshal.loads(zlib.decompress(base64.b64decode(_blob))))
