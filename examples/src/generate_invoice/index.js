// S3 trigger: when an order confirmation lands in uploads/, render the
// invoice PDF next to it under invoices/.
const { S3Client, GetObjectCommand, PutObjectCommand } = require("@aws-sdk/client-s3");

const s3 = new S3Client({});

exports.handler = async (event) => {
  for (const record of event.Records) {
    const bucket = record.s3.bucket.name;
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, " "));
    const source = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const order = JSON.parse(await source.Body.transformToString());
    const invoice = renderInvoice(order);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key.replace(/^uploads\//, "invoices/").replace(/\.json$/, ".txt"),
        Body: invoice,
        ContentType: "text/plain",
      }),
    );
  }
};

function renderInvoice(order) {
  const lines = order.items.map(
    (i) => `${i.sku}\t${i.quantity} x ${(i.unitPriceCents / 100).toFixed(2)}`,
  );
  return [`Invoice for order ${order.orderId}`, ...lines, `Total: ${(order.total / 100).toFixed(2)} ${order.currency}`].join("\n");
}
