exports.handler = async (event) => {
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString() : event.body;
  const data = JSON.parse(raw);
  return { statusCode: 200, body: JSON.stringify({ ok: true, size: data.length }) };
};
