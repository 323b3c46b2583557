// The web view's table when psd is built without it (PSD_WEB_VIEW=OFF):
// `/` then says so.
#include "api/web_assets.h"

namespace psr::api {

const WebAsset *web_assets_begin() { return nullptr; }
const WebAsset *web_assets_end() { return nullptr; }

} // namespace psr::api
