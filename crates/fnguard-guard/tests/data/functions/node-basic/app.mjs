// The Node.js test function, run by AWS's aws-lambda-ric (npm): echoes the
// event back, and says which invocation it handles on stdout.
console.log("function init");

export const handler = async (event, context) => {
  console.log(`handling ${context.awsRequestId} ${event?.action ?? "echo"}`);
  return { event, runtime: `node ${process.version}` };
};
