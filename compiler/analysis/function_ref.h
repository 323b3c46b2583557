// A non-owning callable reference, for visitors on hot paths.
#pragma once

#include <type_traits>
#include <utility>

namespace psl::analysis {

// A non-owning callable reference (no allocation; the callee outlives the
// call).
template <typename Fn>
class FunctionRef;
template <typename R, typename... A>
class FunctionRef<R(A...)> {
public:
  template <typename F, typename = std::enable_if_t<
                            !std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F &&f) // NOLINT: implicit on purpose
      : obj_(const_cast<void *>(static_cast<const void *>(&f))),
        call_([](void *o, A... a) -> R {
          return (*static_cast<std::remove_reference_t<F> *>(o))(
              std::forward<A>(a)...);
        }) {}
  R operator()(A... a) const { return call_(obj_, std::forward<A>(a)...); }

private:
  void *obj_;
  R (*call_)(void *, A...);
};

} // namespace psl::analysis
