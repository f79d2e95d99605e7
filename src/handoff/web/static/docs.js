// /docs: Swagger UI over the server's own /openapi.json (no inline script, no other origin).
(function () {
  "use strict";
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.url,
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // the default validator is a remote service
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
