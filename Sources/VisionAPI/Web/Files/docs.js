window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  requestInterceptor: (request) => {
    const key = VMAKey.get();
    if (key) request.headers["X-API-Key"] = key;
    return request;
  },
});
