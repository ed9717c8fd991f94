/**
 * A CloudFront Function (cloudfront-js-2.0) on the site's default behaviour: the page routes
 * itself (`/polls/…`, `/callback`), so any path without a file extension gets `index.html`.
 * Files (`/assets/…`, `/config.json`) keep their paths; a missing one stays a 403/404 from S3,
 * and API errors are never rewritten because `/api/*` is another behaviour.
 */
export const spaRoutingFunctionCode = `
function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
`
