// Instance: the client side of the API (docs/distributed-cache.md). Each content handle is a
// ClientContent, which implements the rules; here are the handle table, the checks every call
// shares, and the requests that need no handle (FlushContent, CacheInfo, CacheClear).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "peerdist/service/content_tag.hpp"
#include "peerdist/service/instance.hpp"
#include "peerdist/service/publication_service.hpp"
#include "peerdist/service/store_status.hpp"

#include "peerdist.h"

namespace peerdist::service {
namespace {

// The CacheInfo answer, with the keys docs/ipc.md lists (what `peerdist cache` prints).
std::string usage_json(const store::CacheUsage& usage, const std::filesystem::path& dir) {
  nlohmann::json json = {
      {"dir", dir.string()},
      {"bytes", usage.bytes},
      {"max_bytes", usage.max_bytes},
      {"segments", usage.segments},
      {"complete_segments", usage.complete_segments},
      {"blocks", usage.blocks},
      {"max_age_seconds", usage.max_age.count()},
      {"oldest_age_seconds", nullptr},
  };
  if (usage.oldest) {
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    json["oldest_age_seconds"] = std::max<std::int64_t>(0, (now - *usage.oldest).count());
  }
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::shared_ptr<ClientContent> Instance::content(std::uint64_t id) const {
  auto it = contents_.find(id);
  return it == contents_.end() ? nullptr : it->second;
}

ClientContent::Finish Instance::client_finisher() {
  return [weak = weak_from_this()](const std::shared_ptr<PendingOperation>& op, Reply reply) {
    if (auto self = weak.lock()) {
      self->finish(op, std::move(reply));
    } else {
      op->complete(std::move(reply));
    }
  };
}

std::shared_ptr<PendingOperation> Instance::start_client_request(std::uint64_t request_id,
                                                                 std::uint64_t content,
                                                                 ReplyHandler reply) {
  auto op = std::make_shared<PendingOperation>(request_id, OperationKind::client_request, content,
                                               std::move(reply));
  pending_.emplace(request_id, op);
  return op;
}

void Instance::cancel_client_request(const std::shared_ptr<PendingOperation>& op,
                                     ReplyHandler reply) {
  if (auto c = content(op->stream())) {
    c->cancel(op);
  } else {
    // A FlushContent: its job runs on, its Result is this abort.
    abort(op, ERROR_OPERATION_ABORTED);
  }
  reply(Reply::success());
}

void Instance::end_contents(std::uint32_t status, bool invalidate) {
  for (auto& [id, c] : contents_) {
    if (invalidate) {
      c->invalidate();
    } else {
      c->end(status);
    }
  }
  if (invalidate) return;
  contents_.clear();
  std::vector<std::shared_ptr<PendingOperation>> flushes;
  for (const auto& [request_id, op] : pending_) {
    if (op->kind() == OperationKind::client_request && op->stream() == 0) flushes.push_back(op);
  }
  for (const auto& op : flushes) abort(op, status);
}

void Instance::open_content(const ipc::OpenContent& request, ReplyHandler reply) {
  if (auto refused = refuse_new_handle()) return reply(Reply::failure(*refused));
  if (!service_.client_.cache) return reply(Reply::failure(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
  const std::uint64_t id = next_handle_++;
  contents_.emplace(id, std::make_shared<ClientContent>(
                            service_.client_, id, user_tag(uid_, request.tag), client_finisher()));
  reply(Reply::success(id));
}

void Instance::close_content(std::uint64_t content_id, ReplyHandler reply) {
  auto it = contents_.find(content_id);
  if (it == contents_.end()) return reply(Reply::failure(ERROR_INVALID_HANDLE));
  std::shared_ptr<ClientContent> c = std::move(it->second);
  contents_.erase(it);
  // Its pending requests are answered first (docs/ipc.md, rule 4).
  c->end(ERROR_OPERATION_ABORTED);
  reply(Reply::success());
}

void Instance::add_content_information(std::uint64_t request_id, ipc::AddContentInformation request,
                                       ReplyHandler reply) {
  if (duplicate_request(request_id, reply)) return;
  auto c = content(request.content);
  if (!c) return reply(Reply::failure(ERROR_INVALID_HANDLE));
  auto data = resolve_data(std::move(request.data), shared_);
  if (!data) return reply(Reply::failure(ERROR_INVALID_PARAMETER));
  c->add_content_information(start_client_request(request_id, request.content, std::move(reply)),
                             std::move(*data));
}

void Instance::complete_content_information(std::uint64_t request_id, std::uint64_t content_id,
                                            ReplyHandler reply) {
  if (duplicate_request(request_id, reply)) return;
  auto c = content(content_id);
  if (!c) return reply(Reply::failure(ERROR_INVALID_HANDLE));
  c->complete_content_information(start_client_request(request_id, content_id, std::move(reply)));
}

void Instance::add_data(std::uint64_t request_id, ipc::AddData request, ReplyHandler reply) {
  if (duplicate_request(request_id, reply)) return;
  auto c = content(request.content);
  if (!c) return reply(Reply::failure(ERROR_INVALID_HANDLE));
  auto data = resolve_data(std::move(request.data), shared_);
  if (!data) return reply(Reply::failure(ERROR_INVALID_PARAMETER));
  c->add_data(start_client_request(request_id, request.content, std::move(reply)), request.offset,
              std::move(*data));
}

void Instance::block_read(std::uint64_t request_id, const ipc::BlockRead& request,
                          ReplyHandler reply) {
  if (duplicate_request(request_id, reply)) return;
  auto c = content(request.content);
  if (!c) return reply(Reply::failure(ERROR_INVALID_HANDLE));
  c->read(start_client_request(request_id, request.content, std::move(reply)), request.offset,
          request.max_bytes, request.timeout_ms);
}

void Instance::stream_read(std::uint64_t request_id, const ipc::StreamRead& request,
                           ReplyHandler reply) {
  if (duplicate_request(request_id, reply)) return;
  auto c = content(request.content);
  if (!c) return reply(Reply::failure(ERROR_INVALID_HANDLE));
  c->read(start_client_request(request_id, request.content, std::move(reply)), std::nullopt,
          request.max_bytes, request.timeout_ms);
}

void Instance::get_client_information(const ipc::GetClientInformation& request,
                                      ReplyHandler reply) {
  auto c = content(request.content);
  if (!c) return reply(Reply::failure(ERROR_INVALID_HANDLE));
  reply(c->information(request.info_class));
}

void Instance::flush_content(std::uint64_t request_id, const ipc::FlushContent& request,
                             ReplyHandler reply) {
  const std::uint32_t status = service_.status().status;
  if (status == PEERDIST_STATUS_DISABLED) {
    return reply(Reply::failure(ERROR_ACCESS_DISABLED_BY_POLICY));
  }
  if (status != PEERDIST_STATUS_AVAILABLE || ended_ || !service_.client_.cache) {
    return reply(Reply::failure(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
  }
  if (duplicate_request(request_id, reply)) return;
  auto op = start_client_request(request_id, 0, std::move(reply));
  // After every block verified so far is committed: they go too.
  service_.client_.cache->post_after_puts(
      [weak = weak_from_this(), executor = service_.executor_, op,
       tag = user_tag(uid_, request.tag)](store::DataCache& cache) {
        auto flushed = cache.flush(tag);
        const std::uint32_t result =
            flushed ? std::uint32_t{ERROR_SUCCESS} : store_status(flushed.error(), "flushing");
        if (flushed) spdlog::debug("FlushContent: {} segment(s) removed", *flushed);
        boost::asio::post(executor, [weak, op, result] {
          Reply answer = result == ERROR_SUCCESS ? Reply::success() : Reply::failure(result);
          if (auto self = weak.lock()) {
            self->finish(op, std::move(answer));
          } else {
            op->complete(std::move(answer));
          }
        });
      });
}

void Instance::cache_info(ReplyHandler reply) {
  if (!service_.client_.cache) return reply(Reply::failure(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
  // Blocks put and not yet committed are not counted yet: a snapshot, as any usage figure is.
  service_.client_.cache->post([executor = service_.executor_,
                                reply = std::move(reply)](store::DataCache& cache) mutable {
    auto usage = cache.usage();
    Reply answer = Reply::failure(PEERDIST_ERROR_SERVICE_UNAVAILABLE);
    if (!usage) {
      (void)store_status(usage.error(), "reading the usage");
    } else {
      const std::string json = usage_json(*usage, cache.dir());
      answer = Reply::success(0, static_cast<std::uint32_t>(json.size()));
      answer.data.assign(json.begin(), json.end());
    }
    boost::asio::post(executor, [reply = std::move(reply), answer = std::move(answer)]() mutable {
      reply(std::move(answer));
    });
  });
}

void Instance::cache_clear(ReplyHandler reply) {
  // The cache holds every user's data: only the administrator, or the user the daemon runs as
  // (a per-user daemon's owner), may empty it.
  if (uid_ != 0 && uid_ != ::geteuid()) return reply(Reply::failure(ERROR_ACCESS_DENIED));
  if (!service_.client_.cache) return reply(Reply::failure(PEERDIST_ERROR_SERVICE_UNAVAILABLE));
  service_.client_.cache->post_after_puts([executor = service_.executor_, reply = std::move(reply)](
                                              store::DataCache& cache) mutable {
    // The answer says what went (docs/ipc.md): the usage just before clearing.
    auto before = cache.usage();
    auto cleared = cache.clear();
    const std::uint32_t status =
        cleared ? std::uint32_t{ERROR_SUCCESS} : store_status(cleared.error(), "clearing");
    Reply answer = Reply::failure(status);
    if (cleared) {
      spdlog::info("data cache cleared");
      const nlohmann::json removed = {
          {"bytes", before ? before->bytes : 0},
          {"segments", before ? before->segments : 0},
          {"blocks", before ? before->blocks : 0},
      };
      const std::string json = removed.dump();
      answer = Reply::success(0, static_cast<std::uint32_t>(json.size()));
      answer.data.assign(json.begin(), json.end());
    }
    boost::asio::post(executor, [reply = std::move(reply), answer = std::move(answer)]() mutable {
      reply(std::move(answer));
    });
  });
}

}  // namespace peerdist::service
